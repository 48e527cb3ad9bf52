"""API tokens: missing or bad tokens get 401, too weak a role gets 403."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.errors import Conflict, Forbidden, InvalidInput
from ombud.models.staff import ApiToken
from ombud.staff import service
from tests.fixtures.api import auth


def test_missing_token_is_401(client: TestClient) -> None:
    res = client.get("/api/v1/me")
    assert res.status_code == 401
    assert res.json()["error"].startswith("missing API token")


def test_wrong_token_is_401(client: TestClient, tokens: dict[str, str]) -> None:
    res = client.get("/api/v1/me", headers=auth(tokens["admin"] + "x"))
    assert res.status_code == 401
    assert res.json() == {"error": "invalid API token", "code": "unauthorized", "detail": None}


def test_valid_token_identifies_role(client: TestClient, tokens: dict[str, str]) -> None:
    res = client.get("/api/v1/me", headers=auth(tokens["viewer"]))
    assert res.status_code == 200
    assert res.json()["role"] == "viewer"


def test_token_is_stored_hashed(db_session: Session, tokens: dict[str, str]) -> None:
    stored = db_session.query(ApiToken).all()
    assert len(stored) == 3
    for token in stored:
        assert token.token_hash not in tokens.values()
        assert all(token.token_hash != t and t not in token.token_hash for t in tokens.values())
        assert token.token_hash == service.hash_token(
            next(t for t in tokens.values() if service.hash_token(t) == token.token_hash)
        )


def test_password_is_argon2_and_checked(db_session: Session) -> None:
    user = service.create_user(
        db_session, email="Ana@Staff.test", password="a long enough secret", role="admin"
    )
    assert user.password_hash.startswith("$argon2")
    assert (
        service.authenticate_password(
            db_session, email="ana@staff.test", password="a long enough secret"
        ).id
        == user.id
    )


@pytest.mark.parametrize(
    ("email", "password", "role", "error"),
    [
        ("not-an-email", "a long enough secret", "admin", InvalidInput),
        ("b@staff.test", "short", "admin", InvalidInput),
        ("b@staff.test", "a long enough secret", "superuser", InvalidInput),
    ],
)
def test_bad_user_input_is_refused(
    db_session: Session, email: str, password: str, role: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        service.create_user(db_session, email=email, password=password, role=role)


def test_duplicate_user_and_role_escalation_refused(db_session: Session) -> None:
    service.create_user(
        db_session, email="v@staff.test", password="a long enough secret", role="viewer"
    )
    with pytest.raises(Conflict):
        service.create_user(
            db_session, email="v@staff.test", password="a long enough secret", role="viewer"
        )
    with pytest.raises(Forbidden):
        service.create_token(db_session, email="v@staff.test", name="x", role="admin")


def test_an_unknown_account_costs_one_password_check_like_a_wrong_password(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Equal work, not a timing measurement: each refusal runs exactly one argon2 verification,
    # so the answer's time does not tell which staff emails exist.
    service.create_user(
        db_session, email="known@staff.test", password="a long enough secret", role="viewer"
    )
    checks: list[str] = []
    real = service._hasher

    class Counting:
        def verify(self, hashed: str, password: str) -> bool:
            checks.append(hashed)
            return real.verify(hashed, password)

    monkeypatch.setattr(service, "_hasher", Counting())
    for email, password in [
        ("known@staff.test", "wrong password"),
        ("nobody@staff.test", "a long enough secret"),
    ]:
        with pytest.raises(service.Unauthorized):
            service.authenticate_password(db_session, email=email, password=password)
    assert len(checks) == 2 and checks[1] == service._DECOY_HASH
    user = service.authenticate_password(
        db_session, email="known@staff.test", password="a long enough secret"
    )
    assert user.email == "known@staff.test" and len(checks) == 3
