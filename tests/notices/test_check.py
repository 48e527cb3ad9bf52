"""Never drifting: `ombud statement check` compares the published statement with the data map;
no rendered statement shows a taxonomy key, hash or internal name."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ombud.cli.main import app
from ombud.datamap import taxonomy
from ombud.datamap.loader import load_datamap
from ombud.datamap.schemas import DataMap
from ombud.notices.render import render_notice_at_collection
from ombud.notices.versions import render_datamap
from tests.notices.conftest import DATAMAP_DIR, DEMO_DIR, store

runner = CliRunner()


def _internal_words(datamap: DataMap) -> set[str]:
    """Keys a reader must never see: taxonomy keys, enum values, fides_keys of the map."""
    keys = {k for kind in taxonomy.KINDS for k in taxonomy.keys(kind, datamap)}
    keys |= {r.fides_key for r in datamap.recipient} | {r.fides_key for r in datamap.retention}
    keys |= {s.fides_key for s in datamap.system}
    keys |= {
        "legitimate_interests", "legal_obligation", "standard_contractual_clauses",
        "binding_corporate_rules", "strictly_necessary", "contract_entry", "business_transfer",
        "third_party", "joint_controller",
    }  # fmt: skip
    # One-word keys ("customer", "user") are ordinary words; dotted or snake_case ones are not.
    return {k for k in keys if "." in k or "_" in k}


@pytest.mark.parametrize("where", [DEMO_DIR, DATAMAP_DIR])
def test_no_rendered_statement_shows_a_taxonomy_key(where: Path) -> None:
    datamap = load_datamap(where)
    internal = _internal_words(datamap)
    rendered = render_datamap(datamap, honour_dnt=False, base_url="https://x.example")
    outputs = {"en.md": rendered.markdown, "en.html": rendered.html}
    for code, other in rendered.translations.items():
        outputs[f"{code}.md"] = other["markdown"]
        outputs[f"{code}.html"] = other["html"]
    for code in ("en", "de"):
        outputs[f"notice.{code}"] = render_notice_at_collection(datamap, language=code)
    for name, text in outputs.items():
        words = set(text.replace("\\_", "_").replace("`", " ").split())
        stripped = {w.strip(".,;:()|*[]\"'") for w in words}
        shown = sorted(internal & stripped)
        assert shown == [], f"{name} shows {shown}"
        assert rendered.content_hash not in text


def _apply(path: Path) -> None:
    res = runner.invoke(app, ["datamap", "apply", str(path), "--author", "test"])
    assert res.exit_code == 0, res.output


def test_check_exits_1_when_out_of_date_and_0_after_publishing(
    cli_store: str, tmp_path: Path
) -> None:
    _apply(DEMO_DIR)
    res = runner.invoke(app, ["statement", "check"])
    assert res.exit_code == 1 and "never published" in res.output
    res = runner.invoke(app, ["statement", "publish"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["statement", "check"])
    assert res.exit_code == 0, res.output
    assert "statement version 1 is up to date" in res.output
    # A change to the data map that alters the statement: a new processor.
    changed = tmp_path / "map"
    changed.mkdir()
    for f in DEMO_DIR.iterdir():
        (changed / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    with (changed / "recipients.yaml").open("a", encoding="utf-8") as out:
        out.write(
            "  - fides_key: textbird\n    name: Textbird Inc.\n    role: processor\n"
            "    purpose: Sending text messages\n    country: US\n"
            "    safeguard: standard_contractual_clauses\n"
            "    data_categories: [user.contact.phone_number]\n"
        )
    _apply(changed)
    res = runner.invoke(app, ["statement", "check"])
    assert res.exit_code == 1
    assert "[en] Who we share it with: changed" in res.output
    assert "[de] An wen wir Daten weitergeben: changed" in res.output
    assert "[en] How we use your data" not in res.output  # unchanged sections are not listed
    assert "statement out of date since" in res.output
    # The new processor's purpose has no German yet: listed as missing.
    assert "data map: Sending text messages" in res.output
    res = runner.invoke(app, ["statement", "publish"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["statement", "check"])
    assert res.exit_code == 0, res.output


def test_check_covers_consent_notices(cli_store: str, tmp_path: Path) -> None:
    _apply(DEMO_DIR)
    assert runner.invoke(app, ["statement", "publish"]).exit_code == 0
    changed = tmp_path / "map"
    changed.mkdir()
    for f in DEMO_DIR.iterdir():
        text = f.read_text(encoding="utf-8")
        if f.name == "subscriptions.yaml":
            text = text.replace("I\n      can unsubscribe at any time.", "I can stop at any time.")
        (changed / f.name).write_text(text, encoding="utf-8")
    assert "I can stop at any time." in (changed / "subscriptions.yaml").read_text()
    _apply(changed)
    res = runner.invoke(app, ["statement", "check"])
    assert res.exit_code == 1
    assert "consent notice: Privacy statement updates: notice version 1 differs" in res.output


def test_healthz_detail_says_since_when_the_statement_is_out_of_date(
    client: TestClient, db_session: Session, datamap: DataMap
) -> None:
    assert "statement" not in client.get("/healthz").json()
    store(db_session, datamap)
    assert client.get("/healthz?detail=true").json()["statement"] == "statement never published"
    from ombud.config import get_settings
    from ombud.notices import service

    service.publish(db_session, get_settings(), actor="test")
    db_session.commit()
    assert client.get("/healthz?detail=true").json()["statement"].endswith("is up to date")
    more = datamap.model_copy(update={"recipient": datamap.recipient[:-1]})
    store(db_session, more)
    said = client.get("/healthz?detail=true").json()["statement"]
    assert said.startswith("statement out of date since "), said
    assert "(data map version 2)" in said, said
