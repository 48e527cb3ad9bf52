"""The statement domain's use cases: render, publish, versions, diffs, feeds, sub-processors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import load_datamap
from ombud.datamap.schemas import DataMap
from ombud.errors import BadRequest, Conflict, InvalidInput, NotFound
from ombud.models.statement import StatementVersion
from ombud.notices import feed, notify, repository
from ombud.notices.check import freeze_consent_notices
from ombud.notices.diff import SectionDiff, diff_sections
from ombud.notices.render import render_notice_at_collection
from ombud.notices.versions import (
    Rendered,
    SubprocessorChange,
    render_datamap,
    subprocessor_changes,
)


def load(session: Session, *, path: Path | None = None) -> DataMap:
    """The data map at ``path``, or the one in force."""
    return load_datamap(path) if path is not None else datamap_service.get_current(session)


def org_name(session: Session) -> str:
    """The organization's name, or a neutral word when no data map is in force."""
    try:
        return datamap_service.get_current(session).organization.name
    except NotFound:
        return "Privacy"


def render_live(
    session: Session, settings: Settings, *, path: Path | None = None, language: str = "en"
) -> Rendered:
    """Render the statement from the data map as it is now (not published)."""
    return render_datamap(
        load(session, path=path),
        honour_dnt=settings.honour_dnt,
        base_url=settings.base_url,
        language=language,
    )


def version_body(version: StatementVersion, language: str) -> tuple[str, str]:
    """(html, language) of a version in ``language`` when published in it, else English."""
    stored = (version.translations or {}).get(language)
    if stored is not None:
        return str(stored["html"]), language
    return version.html, "en"


def published_languages(session: Session) -> tuple[str, ...]:
    """The languages the data map in force publishes the statement in."""
    try:
        return tuple(datamap_service.get_current(session).organization.languages)
    except NotFound:
        return ("en",)


def notice_at_collection(
    session: Session, *, path: Path | None = None, language: str = "en"
) -> str:
    """The notice at collection (CCPA § 7012) as an HTML fragment to place next to forms."""
    return render_notice_at_collection(load(session, path=path), language=language)


@dataclass(frozen=True)
class Published:
    """Outcome of ``publish``: the version, whether it is new, and notices waiting to be sent."""

    version: StatementVersion
    created: bool
    pending: int


def publish(
    session: Session,
    settings: Settings,
    *,
    actor: str,
    material: bool = False,
    effective: date | None = None,
    summary: str = "",
) -> Published:
    """Freeze the rendering of the data map in force as a new version; identical is refused."""
    rendered = render_live(session, settings)
    latest = repository.latest(session)
    if latest is not None and latest.content_hash == rendered.content_hash:
        waiting = _pending(session, latest)
        if waiting:
            # A rerun after a crash: the version exists, its notices are not all sent yet.
            return Published(latest, created=False, pending=waiting)
        raise Conflict(
            f"nothing to publish: the statement is identical to version {latest.number} "
            f"(content hash {rendered.content_hash[:12]}); change the data map first"
        )
    if material and not summary.strip():
        raise InvalidInput("a material change needs --summary: subscribers are told what changes")
    today = utcnow().date()
    effective = effective or today
    if latest is not None and effective < latest.effective_date:
        raise InvalidInput(
            f"effective date {effective.isoformat()} is before version {latest.number}'s "
            f"({latest.effective_date.isoformat()})"
        )
    version = repository.add(
        session,
        StatementVersion(
            number=repository.next_number(session),
            content_hash=rendered.content_hash,
            html=rendered.html,
            markdown=rendered.markdown,
            sections=rendered.sections,
            subprocessors=rendered.subprocessors,
            translations=rendered.translations or None,
            material=material,
            effective_date=effective,
            summary=summary.strip(),
            published_at=utcnow(),
            published_by=actor,
        ),
    )
    # The consent notices are frozen with the statement, so `statement check` compares both.
    freeze_consent_notices(session, load(session))
    pending = notify.prepare(session, settings, version=version) if material else 0
    audit.record(
        session,
        action="statement.published",
        actor=actor,
        subject_type="statement_version",
        subject_id=str(version.number),
        data={"content_hash": version.content_hash, "material": material, "notices": pending},
    )
    return Published(version, created=True, pending=pending)


def _pending(session: Session, version: StatementVersion) -> int:
    return sum(
        1 for d in repository.deliveries(session, version_id=version.id) if d.status == "pending"
    )


def prepare_notices(session: Session, settings: Settings, *, number: int) -> int:
    """Make sure a material version has a delivery row per subscriber; return pending count."""
    version = get_version(session, number=number)
    if not version.material:
        raise BadRequest(f"version {number} is not a material change; no notices are sent for it")
    notify.prepare(session, settings, version=version)
    return _pending(session, version)


def list_versions(session: Session) -> list[StatementVersion]:
    """Published versions, newest first."""
    return list(repository.all_versions(session))


def current_version(session: Session) -> StatementVersion | None:
    """The version in force: the newest whose effective date has come (a version published
    with a later effective date replaces it on that date, not when it is published)."""
    return repository.in_force(session, utcnow().date())


def upcoming_version(session: Session) -> StatementVersion | None:
    """A published version that is not in force yet, announced on the current page."""
    return repository.upcoming(session, utcnow().date())


def get_version(session: Session, *, number: int) -> StatementVersion:
    """One published version, or ``NotFound`` naming the versions that exist."""
    version = repository.by_number(session, number)
    if version is None:
        latest = repository.latest(session)
        known = f"versions 1 to {latest.number} exist" if latest else "none is published yet"
        raise NotFound(f"privacy statement version {number} does not exist: {known}")
    return version


def parse_number(value: str | None, name: str) -> int:
    if value is None or not value.strip():
        raise BadRequest(f"'{name}' is missing: give a version number such as 1")
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"'{name}' must be a version number, not '{value}'") from None
    if number < 1:
        raise BadRequest(f"'{name}' must be a version number of 1 or more, not {number}")
    return number


def diff(
    session: Session, *, from_: str | None, to: str | None
) -> tuple[StatementVersion, StatementVersion, list[SectionDiff]]:
    """Compare two versions given as query text; bad or unknown numbers are clear errors."""
    a, b = parse_number(from_, "from"), parse_number(to, "to")
    before, after = get_version(session, number=a), get_version(session, number=b)
    return before, after, diff_sections(before.sections, after.sections)


def statement_feed(session: Session, settings: Settings) -> bytes:
    """The Atom feed of versions."""
    return feed.statement_feed(
        list_versions(session), base_url=settings.base_url, org_name=org_name(session), now=utcnow()
    )


def subprocessor_history(session: Session) -> list[tuple[StatementVersion, SubprocessorChange]]:
    """Changes of the processor list between consecutive versions, newest first."""
    out = []
    before: list[dict[str, Any]] = []
    for version in repository.all_versions(session, newest_first=False):
        change = subprocessor_changes(before, version.subprocessors, number=version.number)
        if not change.empty:
            out.append((version, change))
        before = version.subprocessors
    return out[::-1]


def subprocessor_feed(session: Session, settings: Settings) -> bytes:
    """The Atom feed of sub-processor additions and removals."""
    return feed.subprocessor_feed(
        subprocessor_history(session),
        base_url=settings.base_url,
        org_name=org_name(session),
        now=utcnow(),
    )


def subprocessors(session: Session, settings: Settings) -> tuple[list[dict[str, Any]], int | None]:
    """The processors of the statement in force (or the live map when none): list and version."""
    version = current_version(session)
    if version is not None:
        return version.subprocessors, version.number
    return render_live(session, settings).subprocessors, None
