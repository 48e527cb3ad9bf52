"""Signing in and out of the console: cookies, CSRF, lockout, timeouts."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.console.sessions import hash_secret
from ombud.console.web import COOKIE
from ombud.models.console import StaffSession
from tests.console.conftest import PASSWORD, SignedIn, csrf_of, sign_in
from tests.fixtures.api import Clock


def test_console_redirects_to_sign_in(client: TestClient) -> None:
    res = client.get("/staff/account?tab=x", follow_redirects=False)
    assert res.status_code == 303
    assert res.headers["location"] == "/staff/login?next=/staff/account%3Ftab%3Dx"


def test_sign_in_sets_a_hashed_session_cookie(
    client: TestClient, staff_users: dict[str, str], db_session: Session
) -> None:
    form = client.get("/staff/login")
    res = client.post(
        "/staff/login",
        data={
            "email": staff_users["viewer"],
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "/staff/requests",
        },
        follow_redirects=False,
    )
    assert res.status_code == 303
    assert res.headers["location"] == "/staff/requests"
    cookie = res.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/staff" in cookie
    assert "Secure" not in cookie  # the test base URL is http
    secret = client.cookies[COOKIE]
    rows = db_session.scalars(select(StaffSession)).all()
    assert [r.secret_hash for r in rows] == [hash_secret(secret)]
    assert secret not in {r.secret_hash for r in rows}
    page = client.get("/staff")
    assert page.status_code == 200
    assert "Sign out" in page.text and staff_users["viewer"] not in page.text  # shows the name


def test_next_never_leaves_the_console(client: TestClient, staff_users: dict[str, str]) -> None:
    form = client.get("/staff/login")
    res = client.post(
        "/staff/login",
        data={
            "email": staff_users["viewer"],
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "//evil.example/staff",
        },
        follow_redirects=False,
    )
    assert res.headers["location"] == "/staff"


def test_login_without_csrf_is_403(client: TestClient, staff_users: dict[str, str]) -> None:
    client.get("/staff/login")
    res = client.post(
        "/staff/login",
        data={"email": staff_users["viewer"], "password": PASSWORD, "csrf_token": "0" * 64},
        follow_redirects=False,
    )
    assert res.status_code == 403
    assert COOKIE not in client.cookies


def test_wrong_password_then_lockout(client: TestClient, staff_users: dict[str, str]) -> None:
    form = client.get("/staff/login")
    token = csrf_of(form.text)
    data = {"email": staff_users["admin"], "password": "wrong password!", "csrf_token": token}
    for _ in range(5):
        res = client.post("/staff/login", data=data)
        assert res.status_code == 401
        assert "wrong email or password" in res.text
    # Locked now: even the right password is refused, with the time to wait.
    res = client.post("/staff/login", data={**data, "password": PASSWORD})
    assert res.status_code == 429
    assert "try again in 1 minute" in res.text
    assert COOKIE not in client.cookies


def test_lockout_backs_off_and_ends(
    client: TestClient, staff_users: dict[str, str], frozen_clock: Clock
) -> None:
    token = csrf_of(client.get("/staff/login").text)
    data = {"email": staff_users["admin"], "password": "wrong password!", "csrf_token": token}
    for _ in range(5):
        client.post("/staff/login", data=data)
    frozen_clock.advance(seconds=61)
    # One more failure after the first lock: locked twice as long.
    assert client.post("/staff/login", data=data).status_code == 401
    frozen_clock.advance(seconds=61)
    res = client.post("/staff/login", data={**data, "password": PASSWORD})
    assert res.status_code == 429
    frozen_clock.advance(seconds=60)
    res = client.post("/staff/login", data={**data, "password": PASSWORD}, follow_redirects=False)
    assert res.status_code == 303


def test_lockout_per_address_covers_every_account(
    client: TestClient, staff_users: dict[str, str]
) -> None:
    token = csrf_of(client.get("/staff/login").text)
    for i in range(20):
        data = {"email": f"nobody{i}@console.test", "password": "x" * 12, "csrf_token": token}
        assert client.post("/staff/login", data=data).status_code == 401
    data = {"email": staff_users["viewer"], "password": PASSWORD, "csrf_token": token}
    assert client.post("/staff/login", data=data).status_code == 429


def test_idle_timeout(signed_in: SignedIn, frozen_clock: Clock) -> None:
    client, _ = signed_in("viewer")
    frozen_clock.advance(minutes=29)
    assert client.get("/staff").status_code == 200
    frozen_clock.advance(minutes=29)  # active: the idle time starts again
    assert client.get("/staff").status_code == 200
    frozen_clock.advance(minutes=31)
    res = client.get("/staff", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/staff/login")


def test_absolute_timeout(signed_in: SignedIn, frozen_clock: Clock) -> None:
    start = frozen_clock.now
    client, _ = signed_in("viewer")
    while True:
        frozen_clock.advance(minutes=20)  # busy all day: never idle
        res = client.get("/staff", follow_redirects=False)
        if res.status_code != 200:
            break
    assert res.status_code == 303
    assert timedelta(hours=12) <= frozen_clock.now - start < timedelta(hours=12, minutes=20)


def test_sign_out_ends_the_session(signed_in: SignedIn) -> None:
    client, token = signed_in("viewer")
    cookie = client.cookies[COOKIE]
    res = client.post("/staff/logout", data={"csrf_token": token}, follow_redirects=False)
    assert res.status_code == 303
    client.cookies.set(COOKIE, cookie, path="/staff")  # a stolen copy no longer works
    assert client.get("/staff", follow_redirects=False).status_code == 303


def test_sign_out_everywhere(app: object, signed_in: SignedIn, staff_users: dict[str, str]) -> None:
    first, token = signed_in("admin")
    second = TestClient(first.app)
    sign_in(second, staff_users["admin"])
    res = first.post("/staff/logout/everywhere", data={"csrf_token": token}, follow_redirects=False)
    assert res.status_code == 303
    assert second.get("/staff", follow_redirects=False).status_code == 303


def test_sign_out_without_csrf_is_403(signed_in: SignedIn) -> None:
    client, _ = signed_in("viewer")
    assert client.post("/staff/logout", data={}).status_code == 403
    assert client.get("/staff").status_code == 200


def test_old_sessions_are_deleted_at_the_next_sign_in(
    client: TestClient, staff_users: dict[str, str], db_session: Session, frozen_clock: Clock
) -> None:
    first = sign_in(client, staff_users["viewer"])
    client.post("/staff/logout", data={"csrf_token": first})
    sign_in(client, staff_users["viewer"])
    frozen_clock.advance(hours=13)  # that one expires too
    sign_in(client, staff_users["viewer"])
    db_session.expire_all()
    rows = db_session.scalars(select(StaffSession)).all()
    assert len(rows) == 1 and rows[0].ended_at is None
