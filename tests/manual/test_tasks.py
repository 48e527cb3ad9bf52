"""A request with a manual system completes only after the owner reports through the mailed link."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from ombud.clock import utcnow
from ombud.db import unit_of_work
from ombud.execution import package
from ombud.execution.tasks import run_pending, run_requests
from ombud.models.audit import AuditEntry
from ombud.models.manual import ManualTask
from ombud.models.requests import PrivacyRequest
from tests.execution import shop
from tests.execution.conftest import Target
from tests.execution.test_api_run import System
from tests.execution.test_lifecycle import status_of
from tests.fixtures.smtp import Mailbox, SmtpServer
from tests.manual.conftest import OWNER

LINK = re.compile(r"http://testserver(/tasks/[A-Za-z0-9._-]+)")


def approve(system: System, kind: str, n: int) -> str:
    """A verified request of shop person ``n``, approved through the staff API."""
    with unit_of_work(system.engine) as session:
        now = utcnow()
        row = PrivacyRequest(
            type=kind,
            status="verified",
            jurisdiction="gdpr",
            email=shop.email(n),
            identities={"email": shop.email(n)},
            received_at=now,
            received_on=now.date(),
            due_on=now.date() + timedelta(days=30),
        )
        session.add(row)
        session.flush()
        rid = row.id
    res = system.client.post(
        f"/api/v1/requests/{rid}/approve", headers=system.as_("privacy_officer")
    )
    assert res.status_code == 200, res.text
    return rid


def owner_link(smtp_server: SmtpServer, *, index: int = -1) -> str:
    """The path of the task link in the owner's latest (or ``index``) mail."""
    mails = smtp_server.mailbox.to(OWNER)
    assert mails, "the owner got no mail"
    found = LINK.search(Mailbox.text(mails[index]))
    assert found, Mailbox.text(mails[index])
    return found.group(1)


def task_of(system: System, rid: str) -> ManualTask:
    with unit_of_work(system.engine) as session:
        (task,) = session.scalars(select(ManualTask).where(ManualTask.request_id == rid))
        return task


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_erasure_waits_for_the_owner_then_completes(
    system: System, target: Target, smtp_server: SmtpServer
) -> None:
    rid = approve(system, "erasure", 3)
    link = owner_link(smtp_server)
    listed = system.client.get(f"/api/v1/requests/{rid}/tasks", headers=system.as_("viewer"))
    assert listed.status_code == 200 and listed.json()["open"] == 1
    (item,) = listed.json()["items"]
    assert (item["system_key"], item["action"], item["owner"]) == ("helpdesk", "erase", OWNER)

    (report,) = run_requests(system.engine, [rid], settings=system.settings)
    assert report.status == "waiting"
    assert status_of(system.engine, rid).status == "in_progress"
    # A worker sweeping for work leaves it parked.
    assert [r.status for r in run_pending(system.engine, settings=system.settings)] == []

    page = system.client.get(link)
    assert page.status_code == 200 and shop.email(3) in page.text
    assert "erase every record" in page.text

    # A forged link changes nothing.
    forged = system.client.post(link[:-3] + "abc", data={"outcome": "done"})
    assert forged.status_code == 403 and "not valid" in forged.json()["error"]
    assert task_of(system, rid).status == "open"

    done = system.client.post(link, data={"outcome": "done", "note": "deleted ticket 42"})
    assert done.status_code == 200, done.text
    request = status_of(system.engine, rid)
    assert request.status == "completed"
    assert request.result is not None
    (manual,) = request.result["manual_tasks"]
    assert (manual["system"], manual["outcome"]) == ("Help desk", "done")
    assert request.result["collections"]["shop.carts"]["rows"] == 1
    task = task_of(system, rid)
    assert task.status == "done" and task.identities == {} and task.note == "deleted ticket 42"
    letter = Mailbox.text(smtp_server.mailbox.to(shop.email(3))[-1])
    assert "Systems our staff handled by hand" in letter and "- Help desk: done" in letter

    # The link again, after the task closed: a clear 410 page, nothing changes.
    again = system.client.post(
        link, data={"outcome": "cannot_do", "reason": "x" * 5}, headers={"Accept": "text/html"}
    )
    assert again.status_code == 410 and "already closed" in again.text
    assert task_of(system, rid).status == "done"
    with unit_of_work(system.engine) as session:
        actions = list(
            session.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == rid))
        )
    assert "manual.task_opened" in actions and "manual.task_closed" in actions


@pytest.mark.parametrize("target", ["sqlite", "postgresql"], indirect=True)
def test_access_package_holds_the_owners_file(
    system: System, target: Target, smtp_server: SmtpServer
) -> None:
    rid = approve(system, "access", 2)
    first = owner_link(smtp_server)
    (report,) = run_requests(system.engine, [rid], settings=system.settings)
    assert report.status == "waiting"
    assert status_of(system.engine, rid).result is None  # no package before the owner's file

    # Staff re-send the link: the first one stops working.
    task = task_of(system, rid)
    res = system.client.post(
        f"/api/v1/requests/{rid}/tasks/{task.id}/resend", headers=system.as_("privacy_officer")
    )
    assert res.status_code == 200, res.text
    link = owner_link(smtp_server)
    assert link != first
    assert system.client.get(first).status_code == 410

    # "Done" for an export needs the file; the page says so and nothing changes.
    missing = system.client.post(link, data={"outcome": "done"})
    assert missing.status_code == 422 and "upload the exported records" in missing.text
    too_big = b"x" * (system.settings.manual_upload_max_bytes + 1)
    big = system.client.post(
        link, data={"outcome": "done"}, files={"file": ("big.csv", too_big, "text/csv")}
    )
    assert big.status_code == 413
    assert task_of(system, rid).status == "open"

    upload = b"ticket,subject\n42,Where is my parcel?\n"
    ok = system.client.post(
        link, data={"outcome": "done"}, files={"file": ("../tickets.csv", upload, "text/csv")}
    )
    assert ok.status_code == 200, ok.text
    assert status_of(system.engine, rid).status == "in_progress"
    # The next run builds the package with the owner's file and completes the request.
    reports = run_pending(system.engine, settings=system.settings)
    assert [(r.request_id, r.status) for r in reports] == [(rid, "completed")]
    request = status_of(system.engine, rid)
    assert request.status == "completed" and request.result is not None
    path = package.find(system.settings, request.result["export_id"])
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        assert zf.read("manual/helpdesk/tickets.csv") == upload
        assert any(n.startswith("data/") for n in zf.namelist())
    kept = task_of(system, rid).upload
    assert kept is not None and kept["size"] == len(upload)
    stored = system.settings.data_dir / kept["path"]
    assert stored.stat().st_mode & 0o777 == 0o600
