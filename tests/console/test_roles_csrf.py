"""Every console POST: a viewer changes nothing (403), and a post without the session's CSRF
token (or with a wrong one) is refused with 403 and changes nothing, whatever the role."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.complaints import service as complaints
from ombud.complaints.schemas import ComplaintCreate
from ombud.console.endpoints import routers
from ombud.dsr import hints
from ombud.models.complaints import Complaint, ComplaintNote
from ombud.models.datamap import DataMapVersion
from ombud.models.manual import ManualTask
from ombud.models.requests import PrivacyRequest
from ombud.models.retention import RetentionRun
from ombud.models.statement import StatementVersion
from tests.console.conftest import SignedIn, add_request
from tests.dsr.conftest import counts

NEW_MAP = Path(__file__).parents[1] / "datamap" / "maps" / "valid" / "organization.yml"
# Posts any signed-in user may make about their own session and account.
OWN_ACCOUNT = {
    "/staff/logout",
    "/staff/logout/everywhere",
    "/staff/account/second-factor/start",
    "/staff/account/second-factor/confirm",
    "/staff/account/second-factor/remove",
    "/staff/account/notifications",
}
# Read-only posts (a POST keeps the person's identity out of URLs and logs): every role.
READ_ONLY = {"/staff/people/lookup"}
# Posts made before signing in (they carry the sign-in page's own CSRF token).
SIGN_IN = {"/staff/login", "/staff/login/code"}
FORM = {
    "reason": "a reason",
    "note": "a note",
    "proof": "a proof",
    "action": "approve",
    "assignee": "",
    "required": "on",
    "code": "123456",
    # Also the note's text. /staff/datamap/apply gets a valid map other than the one in force,
    # so that only the role or the token stops it (see the last test).
    "name": "organization.yml",
    "text": NEW_MAP.read_text(encoding="utf-8"),
    "purpose": "essential.fraud_detection",
    "decision": "uphold",
}
# Where each request page action is tried: a request in the state that allows it.
TARGET_OF = {
    "/run": "approved",
    "/done": "approved",
    "/resend": "approved",
    "/reopen": "completed",
    "/objection": "objection",
    "/restriction/letter": "restricted",
    "/restriction/lift": "restricted",
}


def console_posts(app: FastAPI) -> list[str]:
    """Every POST path of the console (the app is asked, so a forgotten router fails too)."""
    paths = sorted(
        route.path
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and "POST" in (route.methods or set())
    )
    client = TestClient(app)
    for path in paths:
        url = path.replace("{request_id}", "x").replace("{hint_id}", "y").replace("{task_id}", "z")
        url = url.replace("{complaint_id}", "z")
        assert client.post(url, follow_redirects=False).status_code != 404, path
    return paths


def _snapshot(session: Session, ids: list[str]) -> dict[str, Any]:
    session.expire_all()
    rows = [session.get(PrivacyRequest, i) for i in ids]
    tasks = session.scalars(select(ManualTask).order_by(ManualTask.id)).all()
    others = (Complaint, ComplaintNote, StatementVersion, RetentionRun)
    return {
        "counts": counts(session),
        "others": [session.scalar(select(func.count()).select_from(m)) for m in others],
        "complaints": [(c.status, c.assignee) for c in session.scalars(select(Complaint))],
        "datamap_versions": session.scalar(select(func.count()).select_from(DataMapVersion)),
        "rows": [
            (r.status, r.assignee_id, r.extended_due_on, r.paused_at, r.identity_hints, r.result)
            if r
            else None
            for r in rows
        ],
        "tasks": [(t.status, t.link_version) for t in tasks],
    }


@pytest.fixture
def targets(db_session: Session, datamap: DataMapVersion) -> dict[str, str]:
    """Requests in each state an action needs: verified with a pending hint, approved with an
    open manual task, unverified, completed, an objection waiting for staff and a restriction
    in force."""
    hint = hints.make("phone", "+49 30 555", source="web")
    verified = add_request(db_session, identity_hints=[hint])
    approved = add_request(db_session, status="approved")
    spam = add_request(db_session, status="awaiting_verification")
    completed = add_request(db_session, status="completed")
    pending = [{"key": FORM["purpose"], "title": "Fraud", "marketing": False, "reason": ""}]
    objection = add_request(
        db_session,
        kind="objection",
        result={"type": "objection", "rights": {"handler": "objection", "pending": pending}},
    )
    restricted = add_request(
        db_session,
        kind="restriction",
        status="completed",
        result={"type": "restriction", "rights": {"handler": "restriction", "restricted": True}},
    )
    task = ManualTask(
        request_id=approved.id,
        system_kind="recipient",
        system_key="helpdesk",
        system_name="Help desk",
        owner="owner@acme.example",
        action="export",
        identities={},
        status="open",
        link_version=1,
    )
    db_session.add(task)
    complaint = complaints.submit(
        db_session,
        data=ComplaintCreate(about="general", email="c@example.com", text="x"),
        source="web",
    )
    db_session.commit()
    return {
        "verified": verified.id,
        "approved": approved.id,
        "spam": spam.id,
        "completed": completed.id,
        "objection": objection.id,
        "restricted": restricted.id,
        "hint": hint["id"],
        "task": task.id,
        "complaint": complaint.id,
    }


def _ids(targets: dict[str, str]) -> list[str]:
    return [v for k, v in targets.items() if k not in ("hint", "task", "complaint")]


def _url(path: str, targets: dict[str, str]) -> str:
    request_id = targets["spam"] if path.endswith("/discard") else targets["verified"]
    for suffix, target in TARGET_OF.items():
        if path.endswith(suffix):
            request_id = targets[target]
    return (
        path.replace("{request_id}", request_id)
        .replace("{hint_id}", targets["hint"])
        .replace("{task_id}", targets["task"])
        .replace("{complaint_id}", targets["complaint"])
    )


def _form(targets: dict[str, str], token: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {**FORM, "ids": [targets["verified"], targets["approved"]]}
    if token is not None:
        data["csrf_token"] = token
    return data


def test_the_matrix_covers_every_console_post(app: FastAPI) -> None:
    posts = console_posts(app)
    assert set(posts) >= OWN_ACCOUNT | SIGN_IN
    actions = {p for p in posts if p.startswith("/staff/requests/{request_id}/")}
    assert {p for p in actions if p.endswith(tuple(TARGET_OF))} == {
        f"/staff/requests/{{request_id}}{s}" for s in TARGET_OF if s != "/resend"
    } | {"/staff/requests/{request_id}/tasks/{task_id}/resend"}
    assert len(set(posts) - OWN_ACCOUNT - SIGN_IN) >= 15


def test_viewer_cannot_change_anything(
    app: FastAPI, signed_in: SignedIn, db_session: Session, targets: dict[str, str]
) -> None:
    client, token = signed_in("viewer")
    ids = _ids(targets)
    before = _snapshot(db_session, ids)
    for path in console_posts(app):
        if path in OWN_ACCOUNT | SIGN_IN | READ_ONLY:
            continue
        res = client.post(_url(path, targets), data=_form(targets, token), follow_redirects=False)
        assert res.status_code == 403, (path, res.status_code, res.text[:200])
    assert _snapshot(db_session, ids) == before
    assert client.get("/staff").status_code == 200  # still signed in


@pytest.mark.parametrize("sent", [None, "f" * 64, ""])
def test_posts_without_the_right_csrf_token_are_refused(
    app: FastAPI,
    signed_in: SignedIn,
    db_session: Session,
    targets: dict[str, str],
    sent: str | None,
) -> None:
    client, token = signed_in("admin")
    other, other_token = signed_in("privacy_officer")
    ids = _ids(targets)
    before = _snapshot(db_session, ids)
    for path in console_posts(app):
        if path in SIGN_IN:
            continue
        url = _url(path, targets)
        res = client.post(url, data=_form(targets, sent), follow_redirects=False)
        assert res.status_code == 403, (path, res.status_code)
        # Another session's token is no good either.
        res = client.post(url, data=_form(targets, other_token), follow_redirects=False)
        assert res.status_code == 403, (path, res.status_code)
        res = client.post(url, headers={"X-CSRF-Token": other_token}, follow_redirects=False)
        assert res.status_code == 403, (path, res.status_code)
    assert _snapshot(db_session, ids) == before
    assert client.get("/staff").status_code == 200 and other.get("/staff").status_code == 200
    assert token != other_token


def test_the_htmx_header_carries_the_token(
    signed_in: SignedIn, db_session: Session, targets: dict[str, str]
) -> None:
    client, token = signed_in("privacy_officer")
    res = client.post(
        f"/staff/requests/{targets['verified']}/notes",
        data={"text": "via htmx"},
        headers={"X-CSRF-Token": token},
        follow_redirects=False,
    )
    assert res.status_code == 303


def test_signed_out_posts_go_nowhere(client: Any, targets: dict[str, str]) -> None:
    res = client.post(
        f"/staff/requests/{targets['verified']}/approve",
        data={"note": "x"},
        headers={"Accept": "text/html"},
        follow_redirects=False,
    )
    assert res.status_code == 303 and res.headers["location"].startswith("/staff/login")
    res = client.post(
        f"/staff/requests/{targets['verified']}/approve",
        headers={"HX-Request": "true"},
        follow_redirects=False,
    )
    assert res.headers.get("hx-redirect", "").startswith("/staff/login")


def test_the_targets_let_an_officer_do_each_action(
    app: FastAPI, signed_in: SignedIn, targets: dict[str, str]
) -> None:
    """The control of the matrix: with the right role and token each action goes through, so
    the viewer's 403 above is the role's doing, not a target in the wrong state."""
    client, token = signed_in("privacy_officer")
    posts = console_posts(app)
    for suffix in ("/restriction/letter", "/restriction/lift", "/resend", "/done", "/reopen",
                   "/objection"):  # fmt: skip
        (path,) = [p for p in posts if p.endswith(suffix)]
        res = client.post(_url(path, targets), data=_form(targets, token), follow_redirects=False)
        assert res.status_code in (200, 303), (path, res.status_code, res.text[:300])
        assert 'role="alert"' not in res.text, (path, res.text[:300])


def test_an_officer_may_apply_the_map_the_matrix_sends(
    signed_in: SignedIn, db_session: Session, targets: dict[str, str]
) -> None:
    client, token = signed_in("privacy_officer")
    before = _snapshot(db_session, [])["datamap_versions"]
    res = client.post("/staff/datamap/apply", data=_form(targets, token), follow_redirects=False)
    assert res.status_code == 303, res.text[:300]
    assert _snapshot(db_session, [])["datamap_versions"] == before + 1
