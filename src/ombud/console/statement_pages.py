"""``/staff/statement``: the draft (what the data map in force renders) beside the published
version with the section-by-section diff; publish, send change notices, sub-processor changes."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.console.web import ConsoleIdentity, page, redirect
from ombud.db import DbSession, after_commit
from ombud.deps import ConsoleOfficer, ConsoleUser, SettingsDep
from ombud.errors import InvalidInput, NotFound, OmbudError
from ombud.models.statement import StatementVersion
from ombud.notices import check, notify, repository, service
from ombud.notices.diff import SectionDiff, diff_sections
from ombud.notices.versions import Rendered, SubprocessorChange, subprocessor_changes

router = APIRouter(prefix="/staff/statement", include_in_schema=False)
log = logging.getLogger(__name__)

DONE = {
    "published": "Published. The statement pages show the new version from its effective date.",
    "notify": "Change notices are being sent; the counts below show how far they got.",
}


def _deliveries(session: Session, version: StatementVersion | None) -> dict[str, int]:
    if version is None or not version.material:
        return {}
    out: dict[str, int] = {"pending": 0, "sent": 0, "skipped": 0}
    for row in repository.deliveries(session, version_id=version.id):
        out[row.status] = out.get(row.status, 0) + 1
    return out


def _view(
    session: Session, settings: Settings, me: ConsoleIdentity, *, status: int = 200, **extra: Any
) -> HTMLResponse:
    try:
        draft: Rendered | None = service.render_live(session, settings)
    except NotFound:
        draft = None
    latest = repository.latest(session)
    sections: list[SectionDiff] = []
    pending_processors: SubprocessorChange | None = None
    if draft is not None:
        sections = diff_sections(latest.sections if latest else [], draft.sections)
        before = latest.subprocessors if latest else []
        number = (latest.number if latest else 0) + 1
        pending_processors = subprocessor_changes(before, draft.subprocessors, number=number)
    report = check.check(session, settings) if draft is not None else None
    return page(
        me,
        "staff/statement.html",
        title="Privacy statement",
        current="/staff/statement",
        status=status,
        draft=draft,
        latest=latest,
        in_force=service.current_version(session),
        sections=sections,
        changed=[s for s in sections if s.status != "same"],
        report=report,
        pending_processors=pending_processors,
        history=service.subprocessor_history(session)[:10],
        deliveries=_deliveries(session, latest),
        **extra,
    )


@router.get("", response_class=HTMLResponse)
def statement_page(
    session: DbSession, settings: SettingsDep, me: ConsoleUser, done: str = ""
) -> HTMLResponse:
    """The draft beside the published version, what changed, and whether it is out of date."""
    return _view(session, settings, me, done=DONE.get(done, ""))


@router.get("/draft", response_class=HTMLResponse)
def draft_page(session: DbSession, settings: SettingsDep, me: ConsoleUser) -> HTMLResponse:
    """The whole draft as the public page would show it once published."""
    rendered = service.render_live(session, settings)
    return page(
        me,
        "staff/statement_draft.html",
        title="Draft privacy statement",
        current="/staff/statement",
        body=Markup(rendered.html),
    )


def _effective(value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"effective date: {value[:20]!r} is not a date like 2026-04-01"
        ) from None


def _deliver_later(request: Request, session: Session, settings: Settings, number: int) -> None:
    """Send the pending notices once the version is committed (as the CLI does), here."""
    engine: Engine = request.app.state.engine
    org_name = service.org_name(session)

    def send() -> None:
        try:
            notify.deliver(settings, version_number=number, org_name=org_name, engine=engine)
        except Exception:  # committed work must not fail now; the page shows what is pending
            log.exception("sending the change notices of version %s failed", number)

    after_commit(session, send)


@router.post("/publish")
def publish(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    me: ConsoleOfficer,
    summary: Annotated[str, Form(max_length=5000)] = "",
    material: Annotated[str, Form(max_length=10)] = "",
    effective: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Freeze the draft as a new version; a material one tells its audience."""
    try:
        with session.begin_nested():
            result = service.publish(
                session,
                settings,
                actor=me.email,
                material=bool(material),
                effective=_effective(effective),
                summary=summary,
            )
    except OmbudError as exc:
        return _view(session, settings, me, status=exc.status, error=exc.message, form=summary)
    if result.version.material and result.pending:
        _deliver_later(request, session, settings, result.version.number)
    return redirect("/staff/statement?done=published")


@router.post("/notify")
def send_notices(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    me: ConsoleOfficer,
    version: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Send the notices of a material version not sent yet (new subscribers included)."""
    try:
        with session.begin_nested():
            number = service.parse_number(version, "version")
            pending = service.prepare_notices(session, settings, number=number)
    except OmbudError as exc:
        return _view(session, settings, me, status=exc.status, error=exc.message)
    if pending:
        _deliver_later(request, session, settings, number)
    return redirect("/staff/statement?done=notify")
