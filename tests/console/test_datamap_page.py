"""The Data map pages: versions, a diff of two, checking an uploaded draft (problems exactly as
``ombud datamap validate`` prints them) and making it current, the ROPA and the flow drawing."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ombud.cli.main import app as cli
from ombud.datamap import drafts
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import check_files, read_files
from ombud.models.audit import AuditEntry
from ombud.models.datamap import DataMapVersion
from tests.console.conftest import SignedIn

VALID = Path(__file__).parents[1] / "datamap" / "maps" / "valid"


def _files() -> dict[str, str]:
    return read_files(VALID)


def _changed() -> dict[str, str]:
    """The valid map with a recipient added, a retention period and a purpose changed."""
    files = _files()
    files["recipients.yml"] = files["recipients.yml"].replace(
        "retention:",
        "  - {fides_key: postmark, name: Postmark, role: processor, purpose: Mail, country: US,"
        " safeguard: standard_contractual_clauses}\nretention:",
    )
    files["recipients.yml"] = files["recipients.yml"].replace("period: P30D", "period: P60D")
    files["systems.yml"] = files["systems.yml"].replace(
        "legal_basis: consent", "legal_basis: contract"
    )
    return files


def _store(session: Session, files: dict[str, str], author: str = "ana@example.test") -> int:
    version, _ = datamap_service.apply_map(
        session, datamap=check_files(files), files=files, author=author, source="tests"
    )
    session.commit()
    return version.number


def _versions(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(DataMapVersion)) or 0


def test_versions_and_the_diff_of_any_two(signed_in: SignedIn, db_session: Session) -> None:
    first = _store(db_session, _files(), "first@example.test")
    second = _store(db_session, _changed(), "second@example.test")
    viewer, _ = signed_in("viewer")
    res = viewer.get("/staff/datamap")
    assert res.status_code == 200
    rows = re.findall(r"<tr><td data-label=\"Version\">(\d+)(.*?)</tr>", res.text, re.S)
    assert [int(n) for n, _ in rows] == [second, first]
    assert "in force" in rows[0][1] and "in force" not in rows[1][1]
    assert "second@example.test" in rows[0][1] and "first@example.test" in rows[1][1]
    assert 'href="/staff/datamap"' in res.text  # the nav link
    assert "Check the draft" not in res.text  # a viewer only looks

    res = viewer.get(f"/staff/datamap/diff?old={first}&new={second}")
    assert res.status_code == 200
    text = html.unescape(res.text)
    assert "Added recipient “Postmark” (postmark)." in text
    assert "Changed retention rule “Account data” (account_data): period: P30D → P60D." in text
    assert "legal_basis: consent → contract" in text
    assert re.search(r"^-\s+period: P30D$", text, re.M) and re.search(
        r"^\+\s+period: P60D$", text, re.M
    )  # the folded text diff
    back = html.unescape(viewer.get(f"/staff/datamap/diff?old={second}&new={first}").text)
    assert "Removed recipient “Postmark” (postmark)." in back
    same = viewer.get(f"/staff/datamap/diff?old={first}&new={first}")
    assert "The two maps are the same" in same.text

    missing = viewer.get(f"/staff/datamap/diff?old={first}&new=99")
    assert missing.status_code == 404
    assert "data map version 99 does not exist (versions are 1 to 2)" in missing.text
    assert viewer.get("/staff/datamap/diff?old=1").status_code == 422


def test_a_draft_shows_the_problems_the_cli_prints(
    signed_in: SignedIn, db_session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _files()
    files["systems.yml"] = files["systems.yml"].replace("[stripe]", "[strip]")
    files["recipients.yml"] = files["recipients.yml"].replace("purpose: Hosting", "purpse: Hosting")
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    printed = CliRunner().invoke(cli, ["datamap", "validate", "."])
    assert printed.exit_code == 1
    expected = [line for line in printed.stdout.splitlines() if line]
    assert any("did you mean 'stripe'?" in line for line in expected)

    officer, csrf = signed_in("privacy_officer")
    upload = [("file", (n, t.encode(), "application/yaml")) for n, t in files.items()]
    res = officer.post("/staff/datamap/check", data={"csrf_token": csrf}, files=upload)
    assert res.status_code == 422
    shown = [
        html.unescape(re.sub(r"</?code>", "", li))
        for li in re.findall(r"<li><code>(.*?)</li>", res.text)
    ]
    assert shown == expected
    assert "Make this draft" not in res.text and _versions(db_session) == 0


def test_officer_makes_a_valid_draft_current(signed_in: SignedIn, db_session: Session) -> None:
    _store(db_session, _files())
    officer, csrf = signed_in("privacy_officer")
    pasted = "\r\n".join(_changed()["recipients.yml"].splitlines())
    upload = [("file", (n, t.encode(), "application/yaml")) for n, t in _changed().items()
              if n != "recipients.yml"]  # fmt: skip
    res = officer.post(
        "/staff/datamap/check", data={"csrf_token": csrf, "text": pasted}, files=upload
    )
    assert res.status_code == 200, res.text
    assert "valid data map of" in res.text and _versions(db_session) == 1
    assert "Added recipient “Postmark” (postmark)." in html.unescape(res.text)  # against v1
    names = re.findall(r'<input type="hidden" name="name" value="([^"]+)">', res.text)
    hidden = re.findall(r"<textarea name=\"text\" hidden>\n(.*?)</textarea>", res.text, re.S)
    texts = [html.unescape(t) for t in hidden]
    assert sorted(names) == ["datasets.yml", "organization.yml", "pasted.yml", "systems.yml"]
    form = {"csrf_token": csrf, "name": names, "text": texts}
    res = officer.post("/staff/datamap/apply", data=form, follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"] == "/staff/datamap?applied=2"
    page = officer.get(res.headers["location"]).text
    assert "Version 2 is now the data map in force." in page
    assert "staff console upload" in page and "privacy_officer@console.test" in page
    stored = datamap_service.get_version(db_session, 2)
    assert stored.files["pasted.yml"] == _changed()["recipients.yml"].rstrip("\n")
    assert stored.author == "privacy_officer@console.test"
    actions = db_session.scalars(select(AuditEntry.action)).all()
    assert actions.count("datamap.applied") == 2

    again = officer.post("/staff/datamap/apply", data=form, follow_redirects=False)
    assert again.headers["location"] == "/staff/datamap?unchanged=2" and _versions(db_session) == 2
    broken = {**form, "text": [t.replace("role: processor", "role: procesor") for t in texts]}
    res = officer.post("/staff/datamap/apply", data=broken, follow_redirects=False)
    assert res.status_code == 422 and "cannot become the data map in force" in res.text
    assert _versions(db_session) == 2


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("notes.txt", b"organization: {}", "notes.txt is not a YAML file"),
        ("logo.yml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "logo.yml is a binary file"),
        ("latin.yml", "name: Müller".encode("latin-1"), "latin.yml is not UTF-8 text"),
        ("big.yml", b"# " + b"x" * drafts.MAX_BYTES, "the limit is 1,000,000 bytes"),
        ("empty.yml", b"  \n", "empty.yml is empty"),
        (
            "bell.yml",
            b"organization:\n  name: A\x07cme\n",
            "bell.yml:2:10: malformed YAML: control character U+0007 is not allowed",
        ),
        ("bad.yml", b"organization: [unclosed\n", "bad.yml:"),
    ],
)
def test_bad_uploads_get_a_clear_message(
    signed_in: SignedIn, db_session: Session, name: str, data: bytes, message: str
) -> None:
    officer, csrf = signed_in("privacy_officer")
    res = officer.post(
        "/staff/datamap/check",
        data={"csrf_token": csrf},
        files=[("file", (name, data, "application/octet-stream"))],
    )
    assert res.status_code == 422, res.text[:300]
    assert message in html.unescape(re.sub(r"</?code>", "", res.text))
    assert 'role="alert"' in res.text and _versions(db_session) == 0


def test_pasted_text_too_large_or_missing_is_a_4xx(signed_in: SignedIn) -> None:
    officer, csrf = signed_in("privacy_officer")
    nothing = officer.post("/staff/datamap/check", data={"csrf_token": csrf}, files={"x": b""})
    assert nothing.status_code == 422 and "choose a data map file" in nothing.text
    huge = "a: " + "x" * (2 * drafts.MAX_BYTES)
    res = officer.post(
        "/staff/datamap/check", data={"csrf_token": csrf, "text": huge}, files={"x": b""}
    )
    assert 400 <= res.status_code < 500


def test_viewer_cannot_check_or_apply(signed_in: SignedIn, db_session: Session) -> None:
    viewer, csrf = signed_in("viewer")
    upload = [("file", (n, t.encode(), "application/yaml")) for n, t in _files().items()]
    assert (
        viewer.post("/staff/datamap/check", data={"csrf_token": csrf}, files=upload).status_code
        == 403
    )
    form = {"csrf_token": csrf, "name": list(_files()), "text": list(_files().values())}
    assert viewer.post("/staff/datamap/apply", data=form, files={"x": b""}).status_code == 403
    assert _versions(db_session) == 0


def test_ropa_as_a_table_and_csv_with_formulas_neutralised(
    signed_in: SignedIn, db_session: Session
) -> None:
    files = _files()
    files["systems.yml"] = files["systems.yml"].replace(
        "name: Billing", "name: '=HYPERLINK(\"http://evil.example\")'"
    )
    first = _store(db_session, _files())
    _store(db_session, files)
    viewer, _ = signed_in("viewer")
    res = viewer.get("/staff/datamap/ropa")
    assert res.status_code == 200
    assert "3 processing activities" in res.text and "Stripe Payments Europe" in res.text
    assert "Download as CSV" in res.text
    download = viewer.get("/staff/datamap/ropa.csv")
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [r["activity"] for r in rows][1] == '\'=HYPERLINK("http://evil.example")'
    older = list(
        csv.DictReader(io.StringIO(viewer.get(f"/staff/datamap/ropa.csv?version={first}").text))
    )
    assert [r["activity"] for r in older][1] == "Billing"
    assert "version 1" in viewer.get(f"/staff/datamap/ropa?version={first}").text


def test_the_flow_graph_is_an_accessible_inline_svg(
    signed_in: SignedIn, db_session: Session
) -> None:
    _store(db_session, _files())
    viewer, _ = signed_in("viewer")
    res = viewer.get("/staff/datamap/graph")
    assert res.status_code == 200
    svg = re.search(r"<svg .*?</svg>", res.text, re.S)
    assert svg is not None
    drawing = svg.group(0)
    assert 'role="img"' in drawing and 'aria-labelledby="g-title g-desc"' in drawing
    assert '<title id="g-title">' in drawing and '<desc id="g-desc">' in drawing
    for label in ("Mailhaven web application", "Application database", "Hetzner Online GmbH"):
        assert f">{label}</text>" in drawing
    # webapp uses app_db; app_db's activity sends to Hetzner; Billing names no dataset: Stripe
    # hangs off the system itself.
    titles = re.findall(r"<path d=\"[^\"]+\"><title>(.*?)</title>", drawing)
    assert titles == [
        "Mailhaven web application → Application database",
        "Application database → Hetzner Online GmbH",
        "Mailhaven web application → Stripe Payments Europe",
    ]
    assert "<script" not in res.text.split("</head>")[1]
    table = res.text.split('id="flows-h"')[1]
    assert "Application database" in table and "Stripe Payments Europe (processor, US)" in table


def test_pages_without_any_map(signed_in: SignedIn) -> None:
    viewer, _ = signed_in("viewer")
    assert "No data map has been stored yet" in viewer.get("/staff/datamap").text
    for path in ("/staff/datamap/ropa", "/staff/datamap/graph", "/staff/datamap/ropa?version=3"):
        res = viewer.get(path)
        assert res.status_code == 404, path
        assert "ombud datamap apply" in res.text or "does not exist" in res.text
