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


def test_each_benchmark_runs_as_the_readme_says() -> None:
    import subprocess
    import sys

    scripts = [p for p in sorted((ROOT / "benchmarks").glob("*.py")) if "__main__" in p.read_text()]
    assert len(scripts) >= 5
    for script in scripts:
        # As README.md says: `.venv/bin/python benchmarks/<name>.py --help`, from the project.
        run = subprocess.run(
            [sys.executable, str(script.relative_to(ROOT)), "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, f"{script.name}: {run.stderr[-500:]}"
        assert run.stdout.startswith("usage:"), script.name
