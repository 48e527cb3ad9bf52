"""``/staff/datamap``: the stored versions, a diff between any two, checking an uploaded draft
(problems as ``ombud datamap validate`` prints them) and making a valid one current, the
records of processing (HTML and CSV) and a drawing of systems → datasets → recipients.

Every role reads; checking and applying a draft need a privacy officer, as in the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ombud.console.datamap_graph import layout
from ombud.console.web import ConsoleIdentity, page, redirect
from ombud.datamap import diff, drafts, ropa, service
from ombud.datamap.flows import build_flows
from ombud.datamap.loader import DataMapInvalid
from ombud.db import DbSession
from ombud.deps import ConsoleOfficer, ConsoleUser
from ombud.errors import NotFound, OmbudError

router = APIRouter(prefix="/staff/datamap", include_in_schema=False)

HERE = "/staff/datamap"
Number = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


def _versions_page(
    session: Session,
    me: ConsoleIdentity,
    *,
    status: int = 200,
    error: str = "",
    done: str = "",
    changes: diff.MapDiff | None = None,
    old: int | None = None,
    new: int | None = None,
) -> HTMLResponse:
    versions = service.list_versions(session)
    if old is None or new is None:  # the form suggests the latest change
        old, new = (versions[1].number, versions[0].number) if len(versions) > 1 else (1, 1)
    return page(
        me,
        "staff/datamap.html",
        title="Data map",
        current=HERE,
        status=status,
        versions=versions,
        error=error,
        done=done,
        changes=changes,
        old=old,
        new=new,
        max_bytes=drafts.MAX_BYTES,
    )


@router.get("", response_class=HTMLResponse)
def versions(
    session: DbSession, me: ConsoleUser, applied: Number = None, unchanged: Number = None
) -> HTMLResponse:
    """Every stored version (the newest is in force), the diff form and the draft upload."""
    done = ""
    if applied:
        done = f"Version {applied} is now the data map in force."
    elif unchanged:
        done = f"The draft equals version {unchanged}, which is already in force: nothing stored."
    return _versions_page(session, me, done=done)


@router.get("/diff", response_class=HTMLResponse)
def compare(
    session: DbSession, me: ConsoleUser, old: Number = None, new: Number = None
) -> HTMLResponse:
    """What changed from version ``old`` to version ``new``."""
    if old is None or new is None:
        return _versions_page(
            session, me, status=422, error="choose the two versions to compare", old=old, new=new
        )
    try:
        changes = diff.compare(session, old, new)
    except OmbudError as exc:
        return _versions_page(session, me, status=exc.status, error=exc.message, old=old, new=new)
    return _versions_page(session, me, changes=changes, old=old, new=new)


def _draft_page(
    session: Session,
    me: ConsoleIdentity,
    draft: drafts.Draft | None,
    *,
    error: str = "",
) -> HTMLResponse:
    changes = None
    if draft is not None and draft.datamap is not None:
        try:
            current = service.get_current_version(session)
        except NotFound:  # the first map: nothing to compare with
            current = None
        if current is not None:
            changes = diff.diff_documents(
                current.document,
                service.normalise(draft.datamap),
                old_name=f"version {current.number}",
                new_name="draft",
            )
    bad = bool(error) or (draft is not None and bool(draft.problems))
    return page(
        me,
        "staff/datamap_draft.html",
        title="Data map draft",
        current=HERE,
        status=422 if bad else 200,
        draft=draft,
        error=error,
        changes=changes,
        max_bytes=drafts.MAX_BYTES,
    )


def _lf(text: str) -> str:
    # Browsers send a textarea's lines ending in CRLF; the files are kept as written.
    return text.replace("\r\n", "\n")


# Declared so that FastAPI reads the multipart body and closes the files whatever happens
# (a viewer's post is refused after the body was read for its CSRF token).
Files = Annotated[list[UploadFile] | None, File()]
Texts = Annotated[list[str] | None, Form()]


@router.post("/check", response_class=HTMLResponse)
async def check(
    session: DbSession,
    me: ConsoleOfficer,
    file: Files = None,
    text: Texts = None,
) -> HTMLResponse:
    """Check an uploaded or pasted draft; nothing is stored."""
    uploads = [(f.filename or "", await f.read(drafts.MAX_BYTES + 1)) for f in file or []]
    try:
        files = drafts.read_draft(uploads, _lf("".join(text or [])))
    except OmbudError as exc:
        return await run_in_threadpool(_draft_page, session, me, None, error=exc.message)
    draft = await run_in_threadpool(drafts.check_draft, files)
    return await run_in_threadpool(_draft_page, session, me, draft)


@router.post("/apply", response_class=HTMLResponse)
def apply(
    session: DbSession,
    me: ConsoleOfficer,
    name: Texts = None,
    text: Texts = None,
) -> Response:
    """Make a checked draft the data map in force (checked again: nothing stored if invalid)."""
    name, text = name or [], text or []
    if len(name) != len(text):
        return _draft_page(session, me, None, error="the draft's files came without their names")
    try:
        files = drafts.read_draft(
            [(n, _lf(t).encode("utf-8")) for n, t in zip(name, text, strict=True)]
        )
    except OmbudError as exc:
        return _draft_page(session, me, None, error=exc.message)
    try:
        version, created = _apply(session, files, me.email)
    except DataMapInvalid as exc:
        return _draft_page(session, me, drafts.Draft(files, exc.problems))
    return redirect(f"{HERE}?{'applied' if created else 'unchanged'}={version.number}")


def _apply(session: Session, files: dict[str, str], author: str) -> tuple[Any, bool]:
    with session.begin_nested():
        return drafts.make_current(session, files, author=author)


def _map_or_page(
    session: Session, me: ConsoleIdentity, version: int | None
) -> tuple[Any, HTMLResponse | None]:
    """The map to show, or the versions page saying why there is none."""
    try:
        return service.get_map(session, version), None
    except NotFound as exc:
        return None, _versions_page(session, me, status=404, error=exc.message)


@router.get("/ropa", response_class=HTMLResponse)
def records(session: DbSession, me: ConsoleUser, version: Number = None) -> HTMLResponse:
    """The records of processing activities (GDPR Art. 30) of a version as a table."""
    datamap, missing = _map_or_page(session, me, version)
    if missing is not None:
        return missing
    return page(
        me,
        "staff/datamap_ropa.html",
        title="Records of processing",
        current=HERE,
        record=ropa.build_ropa(datamap),
        version=version,
    )


@router.get("/ropa.csv")
def records_csv(session: DbSession, me: ConsoleUser, version: Number = None) -> Response:
    """The same records as CSV, one row per processing activity."""
    datamap = service.get_map(session, version)
    name = f"ombud-ropa-v{version}.csv" if version else "ombud-ropa.csv"
    return Response(
        ropa.to_csv(ropa.build_ropa(datamap)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/graph", response_class=HTMLResponse)
def graph(session: DbSession, me: ConsoleUser, version: Number = None) -> HTMLResponse:
    """Systems → datasets → recipients drawn as an inline SVG, with a table of the same."""
    datamap, missing = _map_or_page(session, me, version)
    if missing is not None:
        return missing
    flows = build_flows(datamap)
    return page(
        me,
        "staff/datamap_graph.html",
        title="Data flows",
        current=HERE,
        flows=flows,
        drawing=layout(flows),
        version=version,
    )
