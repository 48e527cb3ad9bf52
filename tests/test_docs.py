"""The docs stay true: every setting is documented, README starts with the two commands."""

from __future__ import annotations

from pathlib import Path

from ombud.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    missing = [
        f"OMBUD_{n.upper()}" for n in Settings.model_fields if f"OMBUD_{n.upper()}" not in text
    ]
    assert missing == [], f"undocumented settings in docs/configuration.md: {missing}"


def test_readme_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    first_block = text.split("```", 2)[1]
    assert first_block.split() == ["make", "demo", "make", "test"] or first_block.split()[1:] == [
        "make",
        "demo",
        "make",
        "test",
    ]
