"""Consentable purposes derived from the data map, and their versioned notices.

Purpose keys: a privacy declaration with ``legal_basis: consent`` gives the purpose named by
its ``data_use`` (a person consents to a use such as ``marketing.advertising``, not to one
system; systems sharing a consented use share one consent). Each ``subscription`` gives the
purpose named by its ``fides_key`` (newsletter, product_alerts, privacy_statement_updates).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from ombud import i18n
from ombud.clock import utcnow
from ombud.consent import repository
from ombud.datamap import rights, taxonomy
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.datamap.schemas_fides import LegalBasis, PrivacyDeclaration
from ombud.datamap.translate import own
from ombud.db import after_commit, once_per_transaction
from ombud.errors import Conflict, InvalidInput, NotFound
from ombud.models.base import new_id
from ombud.models.consent import ConsentNotice

# Data uses that GPC (and DNT when honoured) opt out of: sale, sharing, targeted advertising.
GPC_DATA_USES = ("marketing.advertising", "third_party_sharing")

# Tries to create a notice version while concurrent workers create others of the same purpose.
NOTICE_ATTEMPTS = 5


# Parsed map facts per applied data map version id (versions are immutable), and the
# committed notice of each purpose under that version.
_BY_VERSION: dict[str, MapInfo] = {}
_NOTICES: dict[tuple[str, str], NoticeRef] = {}
_LAST_SEEN: list[MapInfo] = []


@dataclass(frozen=True)
class NoticeRef:
    """A notice version, detached from any session."""

    id: str
    purpose: str
    version: int
    content_hash: str
    title: str
    text: str

    @classmethod
    def of(cls, n: ConsentNotice) -> NoticeRef:
        """Copy the fields of a notice row."""
        return cls(n.id, n.purpose, n.version, n.content_hash, n.title, n.text)


@dataclass(frozen=True)
class PurposeDef:
    """A purpose as the data map defines it (no database state)."""

    key: str
    title: str
    kind: str  # "declaration" or "subscription"
    data_use: str
    notice_text: str
    double_opt_in: bool
    gpc_applies: bool
    data_categories: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    # CCPA markings of the declarations behind it (``ombud.datamap.rights``).
    sale: bool = False
    sharing: bool = False
    sensitive: bool = False


@dataclass(frozen=True)
class Purpose:
    """A purpose with its current notice row."""

    definition: PurposeDef
    notice: NoticeRef

    @property
    def key(self) -> str:
        return self.definition.key


def notice_hash(text: str) -> str:
    """SHA-256 of the notice text as shown (UTF-8), the proof of what the person saw."""
    return hashlib.sha256(text.encode()).hexdigest()


def _gpc_applies(data_use: str) -> bool:
    return any(data_use == u or data_use.startswith(u + ".") for u in GPC_DATA_USES)


def definitions(datamap: DataMap) -> list[PurposeDef]:
    """Every consentable purpose of ``datamap``, declarations first, in map order."""
    grouped: dict[str, list[tuple[str, str, list[str], list[str], str]]] = {}
    marks: dict[str, tuple[bool, bool, bool]] = {}
    for system in datamap.system:
        for decl in system.privacy_declarations:
            if decl.legal_basis != LegalBasis.consent:
                continue
            explicit = str((decl.model_extra or {}).get("notice", "") or "")
            grouped.setdefault(decl.data_use, []).append(
                (decl.name, system.name, decl.data_categories, decl.recipients, explicit)
            )
            was = marks.get(decl.data_use, (False, False, False))
            now = (rights.is_sale(decl), rights.is_sharing(decl), rights.is_sensitive(decl))
            marks[decl.data_use] = (was[0] or now[0], was[1] or now[1], was[2] or now[2])
    out: list[PurposeDef] = []
    for use, decls in grouped.items():
        title = next((d[0] for d in decls if d[0]), taxonomy.label("data_use", use, datamap))
        categories = sorted({c for d in decls for c in d[2]})
        recipients = sorted({r for d in decls for r in d[3]})
        text = next((d[4] for d in decls if d[4]), "")
        if not text:
            # Always English, so the notice text (and its hash) does not depend on the
            # language of the request that first shows it; pages say it with ``shown``.
            text = generated_notice(datamap, title, use, "en")
        sale, sharing, sensitive = marks[use]
        out.append(
            PurposeDef(
                key=use,
                title=title,
                kind="declaration",
                data_use=use,
                notice_text=text,
                double_opt_in=False,
                gpc_applies=_gpc_applies(use) or sale or sharing,
                data_categories=tuple(categories),
                recipients=tuple(recipients),
                sale=sale,
                sharing=sharing,
                sensitive=sensitive,
            )
        )
    for sub in datamap.subscription:
        out.append(
            PurposeDef(
                key=sub.fides_key,
                title=sub.name,
                kind="subscription",
                data_use=sub.data_use,
                notice_text=sub.notice,
                double_opt_in=sub.double_opt_in,
                gpc_applies=_gpc_applies(sub.data_use),
                data_categories=("user.contact.email",),
            )
        )
    return out


def _consented(datamap: DataMap, use: str) -> list[tuple[str, PrivacyDeclaration]]:
    return [
        (system.name, decl)
        for system in datamap.system
        for decl in system.privacy_declarations
        if decl.legal_basis == LegalBasis.consent and decl.data_use == use
    ]


def generated_notice(datamap: DataMap, title: str, use: str, language: str) -> str:
    """The notice of a consented use without its own ``notice``, in ``language``: its
    purpose, the systems, the data in plain words (never keys) and who receives it."""
    decls = _consented(datamap, use)
    categories = sorted({c for _name, d in decls for c in d.data_categories})
    recipients = sorted({r for _name, d in decls for r in d.recipients})
    with i18n.use(language):
        parts = [
            i18n.gettext("{purpose}. Used by: {systems}.").format(
                purpose=title, systems=", ".join(sorted({name for name, _d in decls}))
            )
        ]
        if categories:
            labels = [taxonomy.label("data_category", c, datamap, language) for c in categories]
            parts.append(
                i18n.gettext("Data: {categories}.").format(
                    categories=", ".join(dict.fromkeys(labels))
                )
            )
        if recipients:
            names = [datamap.get_recipient(r) for r in recipients]
            parts.append(
                i18n.gettext("Shared with: {recipients}.").format(
                    recipients=", ".join(n.name if n else "?" for n in names)
                )
            )
        parts.append(i18n.gettext("You can withdraw this consent at any time."))
    return " ".join(parts)


def shown(definition: PurposeDef, datamap: DataMap, language: str | None = None) -> tuple[str, str]:
    """Title and notice text of a purpose as a page in ``language`` (the current one) shows
    them: the map's translations of its own words, Ombud's catalogs for the rest."""
    code = language or i18n.current()
    if code == i18n.SOURCE:
        return definition.title, definition.notice_text
    if definition.kind == "subscription":
        return own(datamap, definition.title, code), own(datamap, definition.notice_text, code)
    named = next((d.name for _name, d in _consented(datamap, definition.key) if d.name), "")
    title = (
        own(datamap, named, code)
        if named
        else taxonomy.label("data_use", definition.key, datamap, code)
    )
    explicit = next(
        (
            str((d.model_extra or {}).get("notice", "") or "")
            for _name, d in _consented(datamap, definition.key)
            if (d.model_extra or {}).get("notice")
        ),
        "",
    )
    text = (
        own(datamap, explicit, code)
        if explicit
        else generated_notice(datamap, title, definition.key, code)
    )
    return title, text


def shown_in_force(session: Session, definition: PurposeDef) -> tuple[str, str]:
    """``shown`` for the data map in force, in the current language."""
    if i18n.current() == i18n.SOURCE:
        return definition.title, definition.notice_text
    return shown(definition, datamap_service.get_current(session))


@dataclass(frozen=True)
class MapInfo:
    """What the consent domain needs from the data map in force."""

    version_key: str
    purposes: tuple[PurposeDef, ...]
    jurisdiction: str
    org_name: str
    controller: str
    contact_email: str
    address: str
    website: str


def map_info(datamap: DataMap, version_key: str = "") -> MapInfo:
    """Purposes plus the controller facts a receipt names."""
    org = datamap.organization
    entity = org.legal_entities[0] if org.legal_entities else None
    address = ""
    if entity is not None:
        a = entity.address
        address = ", ".join(p for p in (a.street, a.postcode, a.city, a.country) if p)
    contact = org.privacy_contact.email if org.privacy_contact else ""
    return MapInfo(
        version_key=version_key,
        purposes=tuple(definitions(datamap)),
        jurisdiction=org.jurisdictions[0] if org.jurisdictions else "gdpr",
        org_name=org.name,
        controller=entity.name if entity else org.name,
        contact_email=contact or (entity.email if entity else ""),
        address=address,
        website=org.website,
    )


def current_map(session: Session) -> MapInfo:
    """Facts of the data map in force; parsed once per applied version (keyed by its id)."""
    # Once per transaction: a batch completing many erasures asks for every person.
    version_id: str | None = once_per_transaction(
        session, "consent_map_id", lambda: repository.latest_datamap_id(session)
    )
    if version_id is None:
        return map_info(datamap_service.get_current(session))
    cached = _BY_VERSION.get(version_id)
    if cached is None:
        if len(_BY_VERSION) > 64:
            _BY_VERSION.clear()
            _NOTICES.clear()
        cached = map_info(datamap_service.get_current(session), version_id)
        _BY_VERSION[version_id] = cached
    _LAST_SEEN[:] = [cached]
    return cached


def latest_known_map(session: Session) -> MapInfo:
    """The data map this process last saw in force, without asking the store.

    Only for writes that check the version in the same statement (``ledger.write`` with
    ``map_version``) and start again with ``current_map`` when it has changed."""
    return _LAST_SEEN[0] if _LAST_SEEN else current_map(session)


def org_name(session: Session) -> str | None:
    """The organisation's name for page headers, or None while no data map is in force."""
    try:
        return current_map(session).org_name
    except NotFound:
        return None


def current_definitions(session: Session) -> tuple[PurposeDef, ...]:
    """Purposes of the data map in force."""
    return current_map(session).purposes


def current_notice(session: Session, definition: PurposeDef, version_key: str = "") -> NoticeRef:
    """The notice for the definition's text, creating a new version when the text changed."""
    cache_key = (version_key, definition.key)
    if version_key and cache_key in _NOTICES:
        return _NOTICES[cache_key]
    digest = notice_hash(definition.notice_text)
    for _attempt in range(NOTICE_ATTEMPTS):
        latest = repository.latest_notice(session, definition.key)
        if latest is not None and latest.content_hash == digest:
            found = latest
            break
        # Text went back to an older wording: that version (same hash and text) is shown again.
        existing = repository.notice_by_hash(session, definition.key, digest)
        if existing is not None:
            found = existing
            break
        new = NoticeRef(
            id=new_id(),
            purpose=definition.key,
            version=(latest.version if latest else 0) + 1,
            content_hash=digest,
            title=definition.title,
            text=definition.notice_text,
        )
        if repository.insert_notice(session, asdict(new) | {"created_at": utcnow()}):
            return new
        # Another worker created this version (or this text) meanwhile: read again.
    else:
        raise Conflict(
            f"purpose '{definition.key}': could not create notice version after "
            f"{NOTICE_ATTEMPTS} attempts; other workers keep changing it, try again"
        )
    ref = NoticeRef.of(found)
    if version_key:
        # Cache only once committed: a rolled-back row must never be referenced later.
        after_commit(session, lambda: _NOTICES.__setitem__(cache_key, ref))
    return ref


def get_purpose(session: Session, key: str, info: MapInfo | None = None) -> Purpose:
    """The purpose ``key`` with its current notice, or ``InvalidInput`` naming the known ones."""
    info = info or current_map(session)
    defs = info.purposes
    for definition in defs:
        if definition.key == key:
            return Purpose(definition, current_notice(session, definition, info.version_key))
    known = ", ".join(d.key for d in defs) or "none"
    raise InvalidInput(
        f"purpose: '{key}' is not a consent purpose in the data map (known: {known})",
        detail={"purpose": key},
    )


def list_purposes(session: Session) -> list[Purpose]:
    """Every purpose of the data map in force with its current notice."""
    info = current_map(session)
    return [Purpose(d, current_notice(session, d, info.version_key)) for d in info.purposes]
