"""Console test helpers: staff users per role and a client signed in through the form."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.models.requests import PrivacyRequest
from ombud.staff import service as staff_service

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in through the form; return the session's CSRF token."""
    form = client.get("/staff/login")
    assert form.status_code == 200
    res = client.post(
        "/staff/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    return csrf_of(client.get("/staff").text)


@pytest.fixture
def staff_users(db_session: Session) -> dict[str, str]:
    """One staff user per role: {'admin': email, 'privacy_officer': ..., 'viewer': ...}."""
    out: dict[str, str] = {}
    for role in ("admin", "privacy_officer", "viewer"):
        email = f"{role}@console.test"
        staff_service.create_user(
            db_session, email=email, password=PASSWORD, role=role, name=role.title()
        )
        out[role] = email
    db_session.commit()
    return out


SignedIn = Callable[[str], tuple[TestClient, str]]


@pytest.fixture
def signed_in(app: FastAPI, staff_users: dict[str, str]) -> SignedIn:
    """A new client signed in with ``role``; returns it and its CSRF token."""
    clients: list[TestClient] = []

    def _make(role: str) -> tuple[TestClient, str]:
        client = TestClient(app)
        clients.append(client)
        return client, sign_in(client, staff_users[role])

    return _make


def add_request(
    session: Session,
    *,
    status: str = "verified",
    kind: str = "access",
    email: str = "ana@example.test",
    due_in: int | None = 30,
    received_days_ago: int = 0,
    **extra: object,
) -> PrivacyRequest:
    """A request stored directly (committed), due ``due_in`` days from today."""
    now = utcnow() - timedelta(days=received_days_ago)
    today = utcnow().date()
    request = PrivacyRequest(
        type=kind,
        status=status,
        jurisdiction="gdpr",
        email=email,
        identities={"email": email} if status != "awaiting_verification" else {},
        received_at=now,
        received_on=now.date(),
        due_on=None if due_in is None else today + timedelta(days=due_in),
        verified_at=None if status in ("received", "awaiting_verification") else now,
        **extra,
    )
    session.add(request)
    session.commit()
    return request


# The dsr tests' data map (Acme, Berlin authority): letters need an organisation.
from tests.dsr.conftest import datamap  # noqa: E402,F401
