"""New request and Team pages: the same services as the API and CLI, refusals shown on the
page, secrets shown once, and what a viewer or officer may not do."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.models.datamap import DataMapVersion
from ombud.models.requests import PrivacyRequest, RequestNote
from ombud.models.staff import ApiToken, StaffUser
from ombud.staff import service as staff_service
from tests.console.conftest import SignedIn, sign_in
from tests.fixtures.smtp import SmtpServer


def test_new_request_by_mail_or_verified_by_staff(
    signed_in: SignedIn, db_session: Session, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    client, csrf = signed_in("privacy_officer")
    form = client.get("/staff/requests/new")
    assert form.status_code == 200 and "Many requests from a CSV file" in form.text
    res = client.post(
        "/staff/requests/new",
        data={"csrf_token": csrf, "type": "access", "email": "ada@example.test",
              "jurisdiction": "gdpr", "verification": "mail"},
        follow_redirects=False,
    )  # fmt: skip
    assert res.status_code == 303 and res.headers["location"].endswith("?done=create")
    rid = res.headers["location"].split("/")[-1].split("?")[0]
    row = db_session.get(PrivacyRequest, rid)
    assert row is not None and row.status == "awaiting_verification" and row.source == "staff"
    assert smtp_server.mailbox.to("ada@example.test")  # the code went out
    assert "Request created." in client.get(res.headers["location"]).text

    missing = client.post(
        "/staff/requests/new",
        data={"csrf_token": csrf, "type": "erasure", "email": "bo@example.test",
              "jurisdiction": "gdpr", "verification": "staff", "verified_reason": ""},
    )  # fmt: skip
    assert missing.status_code == 422 and "which proof of identity" in missing.text
    assert 'value="bo@example.test"' in missing.text  # what was typed stays in the form
    res = client.post(
        "/staff/requests/new",
        data={"csrf_token": csrf, "type": "erasure", "email": "bo@example.test",
              "jurisdiction": "gdpr", "verification": "staff",
              "verified_reason": "passport seen at the desk"},
        follow_redirects=False,
    )  # fmt: skip
    rid = res.headers["location"].split("/")[-1].split("?")[0]
    db_session.expire_all()
    row = db_session.get(PrivacyRequest, rid)
    assert row is not None and row.status == "verified"
    notes = db_session.scalars(select(RequestNote.text).where(RequestNote.request_id == rid))
    assert list(notes) == ["verified by staff: passport seen at the desk"]
    page = client.get(f"/staff/requests/{rid}").text
    assert "one staff approval" in page and "gdpr.approval" in page

    bad = client.post(
        "/staff/requests/new",
        data={"csrf_token": csrf, "type": "nap", "email": "not-an-email"},
    )
    assert bad.status_code == 422 and "Nothing was created" in bad.text


def test_csv_import_lists_bad_lines_and_imports_nothing(
    signed_in: SignedIn, db_session: Session, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    client, csrf = signed_in("privacy_officer")
    before = len(db_session.scalars(select(PrivacyRequest.id)).all())
    bad = b"type,email\naccess,one@example.test\nnap,two@example.test\n"
    res = client.post(
        "/staff/requests/import",
        data={"csrf_token": csrf},
        files={"file": ("r.csv", bad, "text/csv")},
    )
    assert res.status_code == 422 and "line 3:" in res.text
    assert len(db_session.scalars(select(PrivacyRequest.id)).all()) == before
    good = b"type,email,jurisdiction,verified_reason\naccess,one@example.test,gdpr,\n"
    good += b"erasure,two@example.test,gdpr,signed letter\n"
    res = client.post(
        "/staff/requests/import",
        data={"csrf_token": csrf},
        files={"file": ("r.csv", good, "text/csv")},
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    assert len(db_session.scalars(select(PrivacyRequest.id)).all()) == before + 2


def test_viewer_cannot_open_new_request_nor_team(signed_in: SignedIn) -> None:
    viewer, _ = signed_in("viewer")
    assert viewer.get("/staff/requests/new").status_code == 403
    assert viewer.get("/staff/team").status_code == 403
    nav = viewer.get("/staff").text
    assert "/staff/requests/new" not in nav and "/staff/team" not in nav
    officer, _ = signed_in("privacy_officer")
    assert officer.get("/staff/team").status_code == 403
    assert "/staff/requests/new" in officer.get("/staff").text


def test_team_manages_accounts_and_tokens(
    signed_in: SignedIn, db_session: Session, staff_users: dict[str, str]
) -> None:
    admin, csrf = signed_in("admin")
    page = admin.get("/staff/team")
    assert page.status_code == 200 and staff_users["viewer"] in page.text
    res = admin.post(
        "/staff/team/users",
        data={"csrf_token": csrf, "email": "New@Console.test", "role": "viewer", "name": "Neu"},
    )
    assert res.status_code == 200 and "First password of new@console.test" in res.text
    password = res.text.split('<code class="secret">')[1].split("</code>")[0]
    newcomer = admin.__class__(admin.app)
    sign_in(newcomer, "new@console.test", password)  # the shown password works

    res = admin.post(
        "/staff/team/users/role",
        data={"csrf_token": csrf, "email": "new@console.test", "role": "privacy_officer"},
        follow_redirects=False,
    )
    assert res.status_code == 303
    db_session.expire_all()
    user = db_session.scalars(select(StaffUser).where(StaffUser.email == "new@console.test")).one()
    assert user.role == "privacy_officer"

    res = admin.post(
        "/staff/team/tokens",
        data={"csrf_token": csrf, "email": "new@console.test", "name": "ci", "role": "viewer"},
    )
    secret = res.text.split('<code class="secret">')[1].split("</code>")[0]
    assert staff_service.authenticate_token(db_session, secret).role == "viewer"
    prefix = db_session.scalars(select(ApiToken.prefix).where(ApiToken.name == "ci")).one()
    admin.post("/staff/team/tokens/revoke", data={"csrf_token": csrf, "prefix": prefix})
    db_session.expire_all()
    assert db_session.scalars(select(ApiToken).where(ApiToken.name == "ci")).one().revoked_at

    res = admin.post(
        "/staff/team/users/active",
        data={"csrf_token": csrf, "email": "new@console.test", "active": "off"},
        follow_redirects=False,
    )
    assert res.status_code == 303
    assert newcomer.get("/staff", follow_redirects=False).status_code == 303  # signed out
    own = admin.post(
        "/staff/team/users/active",
        data={"csrf_token": csrf, "email": staff_users["admin"], "active": "off"},
    )
    assert own.status_code == 409 and "cannot disable your own account" in own.text
    demote = admin.post(
        "/staff/team/users/role",
        data={"csrf_token": csrf, "email": staff_users["admin"], "role": "viewer"},
    )
    assert demote.status_code == 409 and "last active admin" in demote.text

    res = admin.post(
        "/staff/team/users/password", data={"csrf_token": csrf, "email": staff_users["viewer"]}
    )
    fresh = res.text.split('<code class="secret">')[1].split("</code>")[0]
    sign_in(admin.__class__(admin.app), staff_users["viewer"], fresh)


def test_each_staff_member_turns_their_mail_off(
    signed_in: SignedIn, db_session: Session, staff_users: dict[str, str]
) -> None:
    viewer, csrf = signed_in("viewer")
    assert 'id="notifications" name="enabled" checked' in viewer.get("/staff/account").text
    res = viewer.post("/staff/account/notifications", data={"csrf_token": csrf})
    assert res.status_code == 200  # back on the account page
    db_session.expire_all()
    user = db_session.scalars(select(StaffUser).where(StaffUser.email == staff_users["viewer"]))
    assert user.one().notifications is False
    viewer.post("/staff/account/notifications", data={"csrf_token": csrf, "enabled": "on"})
    db_session.expire_all()
    user = db_session.scalars(select(StaffUser).where(StaffUser.email == staff_users["viewer"]))
    assert user.one().notifications is True
