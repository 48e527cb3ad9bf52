"""``ombud requests approve|deny|extend|cancel|note|assign|create|import`` and ``list --all``:
what the console does, scripted, against a committed store."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import make_transient
from typer.testing import CliRunner

from ombud.cli.main import app
from ombud.db import unit_of_work
from ombud.models.audit import AuditEntry
from ombud.models.requests import PrivacyRequest, RequestNote
from ombud.staff import service as staff_service
from tests.dsr.conftest import DATAMAP_FILE, store_datamap
from tests.fixtures.smtp import SmtpServer

runner = CliRunner()
OFFICER = "dpo@staff.test"


@pytest.fixture
def cli_env(cli_store: str, smtp_server: SmtpServer) -> SmtpServer:
    """The CLI store with the request tests' data map, an officer and a viewer."""
    with unit_of_work() as session:
        store_datamap(session, yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8")))
        for email, role in ((OFFICER, "privacy_officer"), ("view@staff.test", "viewer")):
            staff_service.create_user(
                session, email=email, password="correct horse battery", role=role
            )
    return smtp_server


def _ok(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def _created(output: str) -> str:
    return output.split("created request ")[1].split(";")[0]


def test_create_assign_approve_and_show(cli_env: SmtpServer) -> None:
    out = _ok(
        "requests", "create", "--type", "erasure", "--email", "ada@example.test",
        "--jurisdiction", "gdpr", "--verified", "passport seen at the desk",
    )  # fmt: skip
    assert "it is verified" in out
    rid = _created(out)
    assert not cli_env.mailbox.to("ada@example.test")[0]["Subject"].lower().count("code")
    assert f"assigned to {OFFICER}" in _ok("requests", "assign", rid, OFFICER)
    listed = _ok("requests", "list")
    assert "dpo@staf" in listed  # the table is cut to the terminal width
    shown = _ok("requests", "show", rid)
    assert "None" not in shown
    assert f"assigned to {OFFICER}" in shown and "approval rule one (gdpr.approval)" in shown
    assert "verified by staff: passport seen at the desk" in shown

    viewer = runner.invoke(app, ["requests", "approve", rid, "--as", "view@staff.test"])
    assert viewer.exit_code == 1 and "needs privacy_officer" in viewer.output
    stranger = runner.invoke(app, ["requests", "approve", rid, "--as", "who@staff.test"])
    assert stranger.exit_code == 1 and "no active staff user" in stranger.output
    assert "approved; it is now approved" in _ok("requests", "approve", rid, "--as", OFFICER)
    with unit_of_work() as session:
        actors = session.scalars(
            select(AuditEntry.actor).where(AuditEntry.action == "request.status_changed")
        ).all()
        assert OFFICER in actors
    again = runner.invoke(app, ["requests", "approve", rid])
    assert again.exit_code == 1 and "cannot approve request" in again.output


def test_deny_extend_cancel_note_and_list_all(cli_env: SmtpServer) -> None:
    out = _ok("requests", "create", "--type", "access", "--email", "bo@example.test")
    assert "awaiting_verification" in out  # no --verified: the person gets a code
    first = _created(out)
    assert cli_env.mailbox.to("bo@example.test")
    second = _created(
        _ok("requests", "create", "--type", "access", "--email", "cy@example.test",
            "--jurisdiction", "gdpr", "--verified", "known customer, called back")
    )  # fmt: skip
    assert "now due" in _ok("requests", "extend", second, "--reason", "many systems to search")
    assert "note added" in _ok("requests", "note", second, "waiting for the archive")
    assert "denied" in _ok("requests", "deny", second, "--reason", "manifestly unfounded")
    assert "cancelled" in _ok("requests", "cancel", first, "--reason", "withdrawn by phone")
    assert "0 request(s)" in _ok("requests", "list")
    everything = _ok("requests", "list", "--all")
    assert "2 request(s)" in everything and "denied" in everything
    short = runner.invoke(app, ["requests", "deny", second, "--reason", " "])
    assert short.exit_code == 1 and "reason is required" in short.output
    with unit_of_work() as session:
        notes = session.scalars(select(RequestNote.text)).all()
        assert "waiting for the archive" in notes and "cancelled: withdrawn by phone" in notes


def test_create_refuses_bad_input_clearly(cli_env: SmtpServer) -> None:
    res = runner.invoke(app, ["requests", "create", "--type", "nap", "--email", "x@example.test"])
    assert res.exit_code == 1 and "type" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["requests", "assign", "no-such-id", OFFICER])
    assert res.exit_code == 1 and "'no-such-id' is not a request id" in res.output


def test_import_is_all_or_nothing(cli_env: SmtpServer, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "type,email,jurisdiction,verified_reason\n"
        "access,ok@example.test,gdpr,\n"
        "nap,broken@example.test,gdpr,\n"
        "erasure,not-an-email,gdpr,\n",
        encoding="utf-8",
    )
    res = runner.invoke(app, ["requests", "import", str(bad)])
    assert res.exit_code == 1
    assert "2 of 3 rows are invalid; nothing was imported" in res.output
    assert "line 3:" in res.output and "line 4:" in res.output
    with unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(PrivacyRequest)) == 0

    good = tmp_path / "good.csv"
    good.write_text(
        "type,email,jurisdiction,verified_reason\n"
        "access,one@example.test,gdpr,\n"
        "erasure,two@example.test,gdpr,letter with signature\n",
        encoding="utf-8",
    )
    assert "imported 2 request(s)" in _ok("requests", "import", str(good))
    with unit_of_work() as session:
        states = dict(session.execute(select(PrivacyRequest.email, PrivacyRequest.status)).all())
    assert states == {"one@example.test": "awaiting_verification", "two@example.test": "verified"}
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("type,mail\naccess,x@example.test\n", encoding="utf-8")
    res = runner.invoke(app, ["requests", "import", str(unknown)])
    assert res.exit_code == 1 and "needs the columns type, email" in res.output


def test_ids_can_be_given_by_their_first_characters(cli_env: SmtpServer) -> None:
    made = [
        _created(_ok("requests", "create", "--type", "access", "--email", f"p{n}@example.test"))
        for n in range(2)
    ]
    listed = _ok("requests", "list")
    # The list shows the short form whole, however narrow the terminal.
    assert all(rid[:8] in listed for rid in made) and made[0] not in listed
    assert "first 8 characters" in listed
    shown = _ok("requests", "show", made[0][:8])
    assert made[0] in shown
    noted = _ok("requests", "note", made[1][:6].upper(), "called back")
    assert f"note added to request {made[1]}" in noted
    with unit_of_work() as session:
        assert session.scalar(select(RequestNote.request_id)) == made[1]

    unknown = runner.invoke(app, ["requests", "show", "ffffffff"])
    assert unknown.exit_code == 1 and "no privacy request with an id starting with ffffffff" in (
        unknown.output
    )
    bad = runner.invoke(app, ["requests", "cancel", "x%", "--reason", "spam"])
    assert bad.exit_code == 1 and "'x%' is not a request id" in bad.output
    # A prefix two requests share is refused, naming both; nothing is changed.
    twin = made[0][:8] + "-0000-4000-8000-000000000000"
    with unit_of_work() as session:
        copy = session.get(PrivacyRequest, made[0])
        assert copy is not None
        session.expunge(copy)
        make_transient(copy)
        copy.id = twin
        session.add(copy)
    both = runner.invoke(app, ["requests", "cancel", made[0][:8], "--reason", "spam"])
    assert both.exit_code == 1 and "several requests" in both.output and twin in both.output
    with unit_of_work() as session:
        assert {r.status for r in session.scalars(select(PrivacyRequest))} == {
            "awaiting_verification"
        }
