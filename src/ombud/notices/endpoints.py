"""Public pages: the statement, its versions, diffs, Atom feeds and the sub-processor list."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from ombud import i18n
from ombud.clock import utcnow
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.db import DbSession
from ombud.deps import Language, SettingsDep
from ombud.dsr.wording import human_date
from ombud.errors import OmbudError
from ombud.notices import service
from ombud.notices.versions import subprocessors_in
from ombud.web.brand import page_brand
from ombud.web.headers import Embeddable
from ombud.web.render import render

router = APIRouter(include_in_schema=False)

ATOM = "application/atom+xml; charset=utf-8"


def longdate(value: date) -> str:
    """'1 March 2026' ('1. März 2026'), in the language of the page."""
    return human_date(value, i18n.current())


def _page(template: str, *, shown: str | None = None, **ctx: Any) -> HTMLResponse:
    # ``shown``: the language of the body when it differs from the page's (not published in it).
    lang = shown or i18n.current()
    return HTMLResponse(
        render(template, longdate=longdate, today=utcnow().date(), lang=lang, **ctx)
    )


# The statement is the one page meant to be shown inside the organization's own site.
@router.get("/privacy/statement", response_class=HTMLResponse, dependencies=[Embeddable])
def statement(session: DbSession, settings: SettingsDep, language: Language) -> HTMLResponse:
    """The published statement (in the reader's language when published in it), or a live
    draft when nothing is published yet."""
    version = service.current_version(session)
    upcoming = service.upcoming_version(session)
    if version is not None:
        body, shown = service.version_body(version, language)
    else:
        # Before the first version takes effect, the live draft is what is shown.
        shown = language if language in service.published_languages(session) else "en"
        body = service.render_live(session, settings, language=shown).html
    return _page(
        "notices/statement.html",
        shown=shown,
        title="Privacy statement",
        org_name=service.org_name(session),
        brand=page_brand(session),
        version=version,
        upcoming=upcoming,
        is_current=True,
        body=Markup(body),
    )


@router.get("/privacy/statement/versions", response_class=HTMLResponse)
def versions(session: DbSession) -> HTMLResponse:
    """Every published version."""
    return _page(
        "notices/versions.html",
        title="Privacy statement versions",
        org_name=service.org_name(session),
        brand=page_brand(session),
        versions=service.list_versions(session),
    )


@router.get("/privacy/notice-at-collection", response_class=HTMLResponse, dependencies=[Embeddable])
def notice_at_collection(session: DbSession, language: Language) -> HTMLResponse:
    """The notice at collection (CCPA § 7012): a fragment to place next to a form."""
    return HTMLResponse(service.notice_at_collection(session, language=language))


@router.get("/privacy/statement/versions/{number}", response_class=HTMLResponse)
def version(number: str, session: DbSession, language: Language) -> HTMLResponse:
    """One published version, as it was."""
    found = service.get_version(session, number=service.parse_number(number, "version"))
    current = service.current_version(session)
    body, shown = service.version_body(found, language)
    return _page(
        "notices/statement.html",
        shown=shown,
        title=f"Privacy statement, version {found.number}",
        org_name=service.org_name(session),
        brand=page_brand(session),
        version=found,
        upcoming=None,
        is_current=current is not None and current.number == found.number,
        body=Markup(body),
    )


@router.get("/privacy/statement/diff", response_class=HTMLResponse)
def diff(
    session: DbSession,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
) -> HTMLResponse:
    """A word-level comparison of two versions."""
    before, after, sections = service.diff(session, from_=from_, to=to)
    return _page(
        "notices/diff.html",
        title=f"Privacy statement: version {before.number} to {after.number}",
        org_name=service.org_name(session),
        brand=page_brand(session),
        before=before,
        after=after,
        sections=sections,
    )


@router.get("/privacy/statement/feed.xml")
def statement_feed(session: DbSession, settings: SettingsDep) -> Response:
    """Atom feed of published versions."""
    return Response(service.statement_feed(session, settings), media_type=ATOM)


@router.get("/privacy/sub-processors", response_class=HTMLResponse)
def subprocessors(session: DbSession, settings: SettingsDep) -> HTMLResponse:
    """The processors we use, with country, purpose and safeguard."""
    processors, number = service.subprocessors(session, settings)
    try:
        datamap: DataMap | None = datamap_service.get_current(session)
    except OmbudError:
        datamap = None
    return _page(
        "notices/subprocessors.html",
        title=i18n.gettext("Sub-processors"),
        org_name=service.org_name(session),
        brand=page_brand(session),
        processors=subprocessors_in(processors, datamap, i18n.current()),
        number=number,
    )


@router.get("/privacy/sub-processors/feed.xml")
def subprocessor_feed(session: DbSession, settings: SettingsDep) -> Response:
    """Atom feed of sub-processor additions and removals."""
    return Response(service.subprocessor_feed(session, settings), media_type=ATOM)


routers: list[APIRouter] = [router]
