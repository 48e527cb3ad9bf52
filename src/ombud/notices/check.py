"""``ombud statement check``: is the published statement what the data map says today?

Compares the latest published version, language by language and section by section, with a
fresh rendering of the data map in force; lists strings without translation (catalogs and the
map's own phrases) and consent notices whose text no longer matches the map."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ombud import i18n
from ombud.config import Settings
from ombud.consent import purposes as consent_purposes
from ombud.consent import repository as consent_repository
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.dsr.wording import human_datetime
from ombud.errors import NotFound
from ombud.models.statement import StatementVersion
from ombud.notices import repository
from ombud.notices.diff import diff_sections
from ombud.notices.phrases import own_phrases
from ombud.notices.versions import render_datamap


@dataclass(frozen=True)
class SectionChange:
    """A section that differs between the published version and the data map."""

    language: str
    key: str
    title: str
    status: str  # changed, added, removed


@dataclass
class CheckReport:
    """What ``check`` found; ``up_to_date`` decides the exit code."""

    published: int | None = None
    since: datetime | None = None
    # The data map version whose loading put the statement out of date (None: not known).
    since_datamap: int | None = None
    changes: list[SectionChange] = field(default_factory=list)
    languages_changed: list[str] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=dict)
    consent_notices: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        """True when the published statement and consent notices match the data map."""
        return (
            self.published is not None
            and not self.changes
            and not self.languages_changed
            and not self.consent_notices
        )

    def summary(self) -> str:
        """One line for health checks."""
        if self.published is None:
            return "statement never published"
        if self.up_to_date:
            return f"statement version {self.published} is up to date"
        return f"statement out of date since {self.since_words()}"

    def since_words(self) -> str:
        """'3 March 2026, 14:05 UTC (data map version 7)': when it went out of date, in words."""
        if self.since is None:
            return "an unknown time"
        loaded = f" (data map version {self.since_datamap})" if self.since_datamap else ""
        return human_datetime(self.since) + loaded


def _compare(
    language: str, stored: list[dict[str, Any]], fresh: list[dict[str, Any]]
) -> list[SectionChange]:
    return [
        SectionChange(language, d.key, d.title, d.status)
        for d in diff_sections(stored, fresh)
        if d.status != "same"
    ]


def missing_translations(datamap: DataMap) -> dict[str, list[str]]:
    """Per published language other than English: catalog strings and the map's own phrases
    that have no translation."""
    phrases = own_phrases(datamap)
    out: dict[str, list[str]] = {}
    for language in datamap.organization.languages:
        if language == i18n.SOURCE:
            continue
        table = datamap.translations.get(language, {})
        found = i18n.missing(language) if language in i18n.available() else ["(no catalog)"]
        found += [f"data map: {p}" for p in phrases if p not in table]
        if found:
            out[language] = found
    return out


def consent_notice_drift(session: Session, datamap: DataMap) -> list[str]:
    """Consent purposes whose latest stored notice is not the text the map gives today."""
    out = []
    for definition in consent_purposes.definitions(datamap):
        latest = consent_repository.latest_notice(session, definition.key)
        digest = consent_purposes.notice_hash(definition.notice_text)
        if latest is None:
            out.append(f"{definition.title}: no notice stored yet")
        elif latest.content_hash != digest:
            out.append(f"{definition.title}: notice version {latest.version} differs")
    return out


def check(session: Session, settings: Settings) -> CheckReport:
    """Compare the latest published version with what the data map in force renders."""
    datamap = datamap_service.get_current(session)
    report = CheckReport(missing=missing_translations(datamap))
    report.consent_notices = consent_notice_drift(session, datamap)
    latest = repository.latest(session)
    fresh = render_datamap(datamap, honour_dnt=settings.honour_dnt, base_url=settings.base_url)
    if latest is None:
        report.changes = _compare("en", [], fresh.sections)
        return report
    report.published = latest.number
    report.changes = _compare("en", latest.sections, fresh.sections)
    stored = latest.translations or {}
    for language in sorted(set(stored) | set(fresh.translations)):
        if language not in stored or language not in fresh.translations:
            report.languages_changed.append(language)
            continue
        report.changes += _compare(
            language, stored[language]["sections"], fresh.translations[language]["sections"]
        )
    if not report.up_to_date:
        report.since, report.since_datamap = out_of_date_since(
            session, settings, latest, current_hash=fresh.content_hash
        )
    return report


# At most this many data map versions are rendered again to find when the drift began.
MAX_WALK = 8


def out_of_date_since(
    session: Session, settings: Settings, published: StatementVersion, *, current_hash: str
) -> tuple[datetime, int | None]:
    """When the published statement went out of date, and the data map version that did it.

    Counting back from the version in force through those loaded after publishing, the answer
    is the oldest version of the unbroken run that renders differently from the published
    text (a version in between that renders the same ended an earlier drift). When the map in
    force renders the same (only consent notices differ), it is the first version loaded
    after publishing; with none loaded since, the publishing itself (the renderer or the
    settings changed). Beyond ``MAX_WALK`` versions, the oldest one looked at."""
    later = [
        v for v in datamap_service.list_versions(session) if v.created_at > published.published_at
    ]
    if not later:
        return published.published_at, None
    found = None
    for index, version in enumerate(later[:MAX_WALK]):
        if index == 0:
            digest = current_hash  # the version in force: rendered by ``check`` already
        else:
            document = datamap_service.get_version(session, version.number).document
            digest = render_datamap(
                DataMap.model_validate(document),
                honour_dnt=settings.honour_dnt,
                base_url=settings.base_url,
            ).content_hash
        if digest == published.content_hash:
            break
        found = version
    found = found or later[-1]
    return found.created_at, found.number


def freeze_consent_notices(session: Session, datamap: DataMap) -> int:
    """Store the current notice text of every consent purpose (done when publishing)."""
    count = 0
    for definition in consent_purposes.definitions(datamap):
        consent_purposes.current_notice(session, definition)
        count += 1
    return count


def statement_health(session: Session, settings: Settings) -> str:
    """One line for ``/healthz?detail=true``: up to date, out of date since when, or why not."""
    try:
        return check(session, settings).summary()
    except NotFound:
        return "no data map applied"
