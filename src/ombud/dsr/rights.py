"""Every request type declared once: whether it needs the person's code, the longest deadline
the law allows it, who carries it out, and what the data map must hold for it to be offered.

A new type is one entry in ``RIGHTS`` plus its handler. Types whose handler is
``execution`` run in the company's databases (``ombud.execution``); the others are carried
out by ``ombud.dsr.carry_out`` in Ombud's own records (and, for restriction, the flag
columns the data map marks)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from ombud.consent.objections import objectable
from ombud.consent.purposes import definitions
from ombud.datamap import correctable
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.dsr.deadlines import Period
from ombud.errors import NotFound
from ombud.models.requests import RequestType as T

# Who carries a type out.
EXECUTION = "execution"  # the company's databases, by the execution runner
CONSENT = "consent"  # withdraws purposes in the consent ledger
OBJECTION = "objection"  # objections in the ledger; staff weigh non-marketing ones
RESTRICTION = "restriction"  # restriction in the ledger and the flag columns

# What the data map must hold for a type to be offered.
DATASETS = "datasets"  # a dataset with an identity field
CORRECTABLE = "correctable"  # a field or category people may correct
CONSENT_PURPOSES = "consent_purposes"
OBJECTABLE = "objectable"  # processing on legitimate interests (or consented marketing)
SALE = "sale"
SHARING = "sharing"
SENSITIVE = "sensitive"


@dataclass(frozen=True)
class Right:
    """What one request type does."""

    type: T
    handler: str
    needs: frozenset[str] = frozenset()
    # False: no code even where the jurisdiction asks one for most types (CCPA opt-outs).
    verification: bool = True
    # Staff approve before it is carried out; otherwise it runs once the person is confirmed.
    review: bool = True
    # The longest period the law allows, when shorter than the jurisdiction's deadline.
    deadline: Period | None = None
    # The person may name purposes (withdraw_consent, objection); none named: all.
    purposes: bool = False


FIFTEEN_BUSINESS_DAYS = Period(business_days=15)

RIGHTS: dict[T, Right] = {
    r.type: r
    for r in (
        Right(T.access, EXECUTION, frozenset({DATASETS})),
        Right(T.portability, EXECUTION, frozenset({DATASETS})),
        Right(T.rectification, EXECUTION, frozenset({DATASETS, CORRECTABLE})),
        Right(T.erasure, EXECUTION, frozenset({DATASETS})),
        Right(T.restriction, RESTRICTION),
        Right(T.objection, OBJECTION, frozenset({OBJECTABLE}), review=True, purposes=True),
        Right(
            T.withdraw_consent, CONSENT, frozenset({CONSENT_PURPOSES}), review=False, purposes=True
        ),
        Right(
            T.opt_out_sale,
            CONSENT,
            frozenset({SALE}),
            verification=False,
            review=False,
            deadline=FIFTEEN_BUSINESS_DAYS,
        ),
        Right(
            T.opt_out_sharing,
            CONSENT,
            frozenset({SHARING}),
            verification=False,
            review=False,
            deadline=FIFTEEN_BUSINESS_DAYS,
        ),
        Right(
            T.limit_sensitive,
            CONSENT,
            frozenset({SENSITIVE}),
            verification=False,
            review=False,
            deadline=FIFTEEN_BUSINESS_DAYS,
        ),
    )
}


def of(kind: str) -> Right:
    """The declaration of a request type."""
    return RIGHTS[T(kind)]


def features(datamap: DataMap) -> set[str]:
    """The features of ``datamap`` that request types need."""
    found: set[str] = set()
    if any(
        f.fides_meta is not None and f.fides_meta.identity
        for ds in datamap.dataset
        for coll in ds.collections
        for f in coll.fields
    ):
        found.add(DATASETS)
    if correctable.options(datamap):
        found.add(CORRECTABLE)
    defs = definitions(datamap)
    if defs:
        found.add(CONSENT_PURPOSES)
    if objectable(datamap) or any(d.data_use.startswith("marketing.") for d in defs):
        found.add(OBJECTABLE)
    for name, marked in ((SALE, "sale"), (SHARING, "sharing"), (SENSITIVE, "sensitive")):
        if any(getattr(d, marked) for d in defs):
            found.add(name)
    return found


def offered(session: Session) -> list[T]:
    """The types the data map in force can carry out (every type without a data map)."""
    try:
        have = features(datamap_service.get_current(session))
    except NotFound:
        return list(RIGHTS)
    return [t for t, r in RIGHTS.items() if r.needs <= have]


def needs_code(kind: str, jurisdiction_says: bool) -> bool:
    """Whether the person confirms by code: the jurisdiction's rule, unless the type never
    needs one."""
    return jurisdiction_says and of(kind).verification
