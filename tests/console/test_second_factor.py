"""TOTP second factor: enrolment with a QR code, sign-in with a code or a recovery code,
and an admin requiring it of everyone."""

from __future__ import annotations

import re

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.models.console import StaffTotp
from tests.console.conftest import PASSWORD, SignedIn, csrf_of
from tests.fixtures.api import Clock


def _enrol(client: TestClient, token: str) -> tuple[str, list[str]]:
    page = client.post("/staff/account/second-factor/start", data={"csrf_token": token})
    assert page.status_code == 200
    assert "<svg" in page.text and "<script" not in page.text.split("<main", 1)[1]
    found = re.search(r"<code>([A-Z2-7]{32})</code>", page.text)
    assert found
    secret = found.group(1)
    wrong = client.post(
        "/staff/account/second-factor/confirm", data={"csrf_token": token, "code": "000000"}
    )
    assert wrong.status_code == 422
    code = pyotp.TOTP(secret).at(utcnow())
    done = client.post(
        "/staff/account/second-factor/confirm", data={"csrf_token": token, "code": code}
    )
    assert done.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", done.text)
    assert len(codes) == 10
    return secret, codes


def _password(client: TestClient, email: str) -> TestClient:
    form = client.get("/staff/login")
    res = client.post(
        "/staff/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert res.headers["location"].startswith("/staff/login/code")
    # Password alone opens nothing.
    assert client.get("/staff", follow_redirects=False).status_code == 303
    return client


def test_enrol_and_sign_in_with_a_code(
    signed_in: SignedIn,
    staff_users: dict[str, str],
    db_session: Session,
    frozen_clock: Clock,
) -> None:
    client, token = signed_in("privacy_officer")
    secret, codes = _enrol(client, token)
    row = db_session.get(StaffTotp, _user_id(db_session))
    assert row is not None and secret not in row.secret_sealed
    assert all(c not in row.recovery_hashes for c in codes)

    other = _password(TestClient(client.app), staff_users["privacy_officer"])
    form = other.get("/staff/login/code")
    used = pyotp.TOTP(secret).at(utcnow())  # the code that confirmed enrolment
    res = other.post("/staff/login/code", data={"csrf_token": csrf_of(form.text), "code": used})
    assert res.status_code == 401  # never accepted twice
    frozen_clock.advance(seconds=30)
    fresh = pyotp.TOTP(secret).at(utcnow())
    res = other.post(
        "/staff/login/code",
        data={"csrf_token": csrf_of(form.text), "code": fresh},
        follow_redirects=False,
    )
    assert res.status_code == 303
    assert other.get("/staff").status_code == 200


def _user_id(session: Session) -> str:
    from ombud.staff import repository

    user = repository.get_user_by_email(session, "privacy_officer@console.test")
    assert user is not None
    return user.id


def test_recovery_code_works_once(signed_in: SignedIn, staff_users: dict[str, str]) -> None:
    client, token = signed_in("viewer")
    _, codes = _enrol(client, token)
    for expected in (303, 401):
        other = _password(TestClient(client.app), staff_users["viewer"])
        form = other.get("/staff/login/code")
        res = other.post(
            "/staff/login/code",
            data={"csrf_token": csrf_of(form.text), "code": codes[0]},
            follow_redirects=False,
        )
        assert res.status_code == expected


def test_admin_requires_a_second_factor(signed_in: SignedIn) -> None:
    viewer, _ = signed_in("viewer")
    admin, token = signed_in("admin")
    res = admin.post(
        "/staff/account/require-second-factor",
        data={"csrf_token": token, "required": "on"},
        follow_redirects=False,
    )
    assert res.status_code == 303
    # Everyone without one is sent to set it up, and sees nothing else.
    res = viewer.get("/staff", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/staff/account/second-factor"
    assert "requires a second factor" in viewer.get("/staff/account/second-factor").text


def test_viewer_cannot_require_a_second_factor(signed_in: SignedIn) -> None:
    viewer, token = signed_in("viewer")
    res = viewer.post(
        "/staff/account/require-second-factor", data={"csrf_token": token, "required": "on"}
    )
    assert res.status_code == 403
    assert viewer.get("/staff").status_code == 200
