"""Mail to staff: a verified request, the daily digest (once a day), and turning mail off."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ombud.cli.main import app as cli
from ombud.config import Settings
from ombud.db import make_engine, unit_of_work
from ombud.dsr import queue, service
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.housekeeping import run_once
from ombud.models.mail import OutboxMail
from ombud.models.notify import DigestDay
from ombud.models.staff import StaffUser
from ombud.notify import tasks
from ombud.staff import service as staff_service
from tests.dsr.conftest import DATAMAP_FILE, commit, store_datamap
from tests.fixtures.api import Clock, auth, make_settings
from tests.fixtures.smtp import Mailbox, SmtpServer

PASSWORD = "correct horse battery"


def _staff_verified(session: Session, email: str, **extra: str) -> str:
    data = PrivacyRequestCreate.model_validate({"type": "erasure", "email": email, **extra})
    rid = service.create(session, data=data, actor="dpo", verified_reason="passport seen").id
    return rid


def _staff_mail(mailbox: Mailbox) -> list[tuple[str, str]]:
    return [(m["To"], m["Subject"]) for m in mailbox.messages if m["To"].endswith("@staff.test")]


def test_verified_request_mails_the_officers_then_only_the_assignee(
    db_session: Session,
    datamap: object,
    dsr_settings: Settings,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    rid = _staff_verified(db_session, "ada@example.test")
    commit(db_session)
    mails = _staff_mail(smtp_server.mailbox)
    # Privacy officers hear of it; admins and viewers do not while an officer exists.
    assert [to for to, _ in mails] == ["privacy_officer@staff.test"]
    assert "verified" in mails[0][1]
    text = Mailbox.text(smtp_server.mailbox.to("privacy_officer@staff.test")[-1])
    assert f"http://testserver/staff/requests/{rid}" in text
    assert "ada@example.test" not in text  # no identity of the person in staff mail

    other = _staff_verified(db_session, "bo@example.test")
    queue.assign(db_session, other, assignee="admin@staff.test", actor="dpo")
    service.request_proof(db_session, other, actor="dpo", message="send your ID again")
    service.proof_received(db_session, other, actor="dpo")
    commit(db_session)
    assert _staff_mail(smtp_server.mailbox)[-1][0] == "admin@staff.test"


def test_assignee_who_turned_mail_off_gets_none(
    client: TestClient,
    db_session: Session,
    datamap: object,
    dsr_settings: Settings,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    officer = auth(tokens["privacy_officer"])
    assert client.get("/api/v1/me/notifications", headers=officer).json() == {"enabled": True}
    res = client.put("/api/v1/me/notifications", json={"enabled": False}, headers=officer)
    assert res.status_code == 200 and res.json() == {"enabled": False}
    assert (
        client.put("/api/v1/me/notifications", json={"enabled": "x"}, headers=officer).status_code
        == 422
    )
    assert client.put("/api/v1/me/notifications", json={"enabled": False}).status_code == 401
    _staff_verified(db_session, "cy@example.test")
    commit(db_session)
    # The only privacy officer turned mail off: nobody is mailed (admins only stand in when
    # there is no privacy officer at all).
    assert _staff_mail(smtp_server.mailbox) == []


def test_admins_stand_in_only_while_no_privacy_officer_is_active(
    db_session: Session,
    datamap: object,
    dsr_settings: Settings,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    officer = staff_service.get_user(db_session, "privacy_officer@staff.test")
    officer.active = False
    _staff_verified(db_session, "di@example.test")
    commit(db_session)
    # No active officer: the admins who want mail hear of it (the viewer never does).
    assert [to for to, _ in _staff_mail(smtp_server.mailbox)] == ["admin@staff.test"]
    admin = staff_service.get_user(db_session, "admin@staff.test")
    admin.notifications = False
    _staff_verified(db_session, "ed@example.test")
    commit(db_session)
    assert len(_staff_mail(smtp_server.mailbox)) == 1  # the admin turned mail off: nobody
    officer.active, admin.notifications = True, True
    _staff_verified(db_session, "fy@example.test")
    commit(db_session)
    assert _staff_mail(smtp_server.mailbox)[-1][0] == "privacy_officer@staff.test"
    assert len(_staff_mail(smtp_server.mailbox)) == 2


@pytest.fixture
def store(
    committed_store_url: str,
    tmp_path: Path,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    frozen_clock: Clock,
) -> Settings:
    """A committed store with the test data map, two officers (one without mail) and a viewer."""
    settings = make_settings(committed_store_url, tmp_path, smtp_server)
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    engine = make_engine(committed_store_url)
    with unit_of_work(engine) as session:
        store_datamap(session, yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8")))
        for email, role in (
            ("one@staff.test", "privacy_officer"),
            ("two@staff.test", "privacy_officer"),
            ("view@staff.test", "viewer"),
        ):
            staff_service.create_user(session, email=email, password=PASSWORD, role=role)
    with unit_of_work(engine) as session:
        staff_service_user = session.scalars(
            select(StaffUser).where(StaffUser.email == "two@staff.test")
        ).one()
        staff_service_user.notifications = False
    engine.dispose()
    return settings


def test_daily_digest_lists_due_and_overdue_once_a_day(
    store: Settings, smtp_server: SmtpServer, frozen_clock: Clock
) -> None:
    engine = make_engine(store.database_url)
    start = frozen_clock.now
    with unit_of_work(engine) as session:
        # The test map answers in 30 days: 40 days ago is overdue, 26 days ago due in 4.
        frozen_clock.set(start - timedelta(days=40))
        late = _staff_verified(session, "late@example.test", jurisdiction="default")
        frozen_clock.set(start - timedelta(days=26))
        soon = _staff_verified(session, "soon@example.test", jurisdiction="default")
        frozen_clock.set(start - timedelta(days=2))
        fresh = _staff_verified(session, "fresh@example.test", jurisdiction="default")
        queue.assign(session, soon, assignee="one@staff.test", actor="dpo")
    frozen_clock.set(start)
    smtp_server.mailbox.messages.clear()

    assert tasks.send_digest(engine, store) == 1  # one@ only: two@ turned mail off
    assert tasks.send_digest(engine, store) is None  # the day is taken
    run_once(engine, store)  # the background loop neither sends it again
    with unit_of_work(engine) as session:
        digests = session.scalars(select(OutboxMail).where(OutboxMail.subject.like("%overdue%")))
        assert [m.to for m in digests] == ["one@staff.test"]
        assert session.get(DigestDay, start.date()) is not None
    text = Mailbox.text(smtp_server.mailbox.to("one@staff.test")[-1])
    assert (
        "1 overdue, 1 due within 7 days" in smtp_server.mailbox.to("one@staff.test")[-1]["Subject"]
    )
    assert late in text and soon in text and fresh not in text
    assert "10 day(s) overdue" in text and "due in 4 day(s)" in text
    assert "one@staff.test" in text.split(soon)[1].splitlines()[0]  # the assignee is named

    frozen_clock.set(start + timedelta(days=1))
    run_once(engine, store)  # the next day: a new digest from the housekeeping loop
    with unit_of_work(engine) as session:
        assert len(session.scalars(select(DigestDay)).all()) == 2
    engine.dispose()


def test_cli_turns_notifications_off_and_lists_users(cli_store: str) -> None:
    with unit_of_work() as session:
        staff_service.create_user(
            session, email="one@staff.test", password=PASSWORD, role="privacy_officer"
        )
    runner = CliRunner()
    res = runner.invoke(cli, ["users", "notifications", "one@staff.test", "--off"])
    assert res.exit_code == 0, res.output
    assert "notifications for one@staff.test are off" in res.output
    listed = runner.invoke(cli, ["users", "list"]).output
    assert "one@staff.test  privacy_officer  active  notifications off" in listed
    res = runner.invoke(cli, ["users", "notifications", "nobody@staff.test", "--on"])
    assert res.exit_code == 1 and "no staff user with email nobody@staff.test" in res.output
