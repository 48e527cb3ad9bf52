"""The lifecycle through the service layer: intake, code, decisions and execution hooks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.dsr import repository, service
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.errors import Conflict, InvalidInput
from ombud.models.datamap import DataMapVersion
from ombud.models.requests import RequestType
from tests.dsr.conftest import code_from, commit, counts
from tests.fixtures.api import Clock
from tests.fixtures.smtp import Mailbox, SmtpServer


def _submit(session: Session, email: str = "ada@example.test", **kw: object) -> str:
    data = PrivacyRequestCreate.model_validate({"type": "erasure", "email": email, **kw})
    rid = service.submit(session, data=data, source="api").id
    commit(session)  # letters leave after the commit
    return rid


def test_execution_hooks_walk_to_completed(
    db_session: Session,
    datamap: DataMapVersion,
    dsr_settings: Settings,
    smtp_server: SmtpServer,
    frozen_clock: Clock,
) -> None:
    rid = _submit(db_session, jurisdiction="gdpr")
    code = code_from(smtp_server.mailbox, "ada@example.test")
    assert service.verify(db_session, rid, code=code).ok
    service.approve(db_session, rid, actor="dpo@staff.test")
    assert repository.ids_by_status(db_session, "approved") == [rid]
    service.start_execution(db_session, rid, actor="worker")
    service.fail_execution(db_session, rid, actor="worker", error="db down")
    service.start_execution(db_session, rid, actor="worker")
    result = {
        "kept": [{"collection": "invoices", "reason": "tax law: 10 years"}],
        "download_url": "https://privacy.acme.example/exports/abc",
        "download_expires_at": datetime(2026, 3, 5, 9, tzinfo=UTC),
    }
    req = service.complete_execution(db_session, rid, actor="worker", result=result)
    commit(db_session)
    assert req.status == "completed" and req.closed_at is not None
    letter = Mailbox.text(smtp_server.mailbox.to("ada@example.test")[-1])
    assert "- Invoices.\r\n  Why: tax law: 10 years" in letter
    assert "Acme Widgets GmbH" in letter
    assert "https://privacy.acme.example/exports/abc" in letter
    assert "The link works once, until 5 March 2026, 09:00 UTC;" in letter
    assert req.result is not None and req.result["download_expires_at"].startswith("2026-03-05")
    with pytest.raises(Conflict, match="completed cannot become in_progress"):
        service.start_execution(db_session, rid, actor="worker")


def test_stored_verification_mail_withholds_the_code(
    db_session: Session, datamap: DataMapVersion, dsr_settings: Settings, smtp_server: SmtpServer
) -> None:
    rid = _submit(db_session)
    code = code_from(smtp_server.mailbox, "ada@example.test")
    stored = service.messages(db_session, rid)
    assert [m.kind for m in stored] == ["verification"]
    assert code not in stored[0].body and "withheld" in stored[0].body


def test_gdpr_month_end_deadline(
    db_session: Session,
    datamap: DataMapVersion,
    dsr_settings: Settings,
    smtp_server: SmtpServer,
    frozen_clock: Clock,
) -> None:
    frozen_clock.set(datetime(2027, 1, 31, 12, tzinfo=UTC))
    rid = _submit(db_session, jurisdiction="gdpr")
    req = service.get(db_session, rid)
    assert req.due_on == date(2027, 2, 28)


def test_ccpa_opt_out_needs_no_code(
    db_session: Session, datamap: DataMapVersion, dsr_settings: Settings, smtp_server: SmtpServer
) -> None:
    rid = _submit(db_session, type=RequestType.opt_out_sale.value, country="US", region="CA")
    req = service.get(db_session, rid)
    # No code, and nothing for staff to decide: carried out at once (§ 7026).
    assert req.jurisdiction == "ccpa" and req.status == "completed"
    kinds = [m.kind for m in service.messages(db_session, rid)]
    assert kinds == ["acknowledgement", "completion"]


def test_type_not_granted_changes_nothing(
    db_session: Session, datamap: DataMapVersion, dsr_settings: Settings
) -> None:
    before = counts(db_session)
    with pytest.raises(InvalidInput, match="does not grant a restriction"):
        _submit(db_session, type="restriction", jurisdiction="ccpa")
    db_session.rollback()
    assert counts(db_session) == before
