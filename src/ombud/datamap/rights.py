"""Data map keys that rights requests act on: the CCPA markings of declarations (sale,
sharing, sensitive use) and the restriction flag of a field, with their checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ombud.datamap.graph import iter_fields
from ombud.datamap.positions import Loc
from ombud.datamap.schemas import DataMap
from ombud.datamap.schemas_fides import DatasetField, LegalBasis, PrivacyDeclaration

if TYPE_CHECKING:
    from ombud.datamap.validate import Checker

# Data uses whose declarations are sold or shared unless the declaration says otherwise.
SALE_USES = ("third_party_sharing",)
SHARING_USES = ("marketing.advertising",)
FLAG_TYPES = ("boolean", "integer")


def _under(data_use: str, roots: tuple[str, ...]) -> bool:
    return any(data_use == r or data_use.startswith(r + ".") for r in roots)


def is_sale(decl: PrivacyDeclaration) -> bool:
    """The declaration sells personal information (CCPA § 1798.140(ad))."""
    return decl.sale if decl.sale is not None else _under(decl.data_use, SALE_USES)


def is_sharing(decl: PrivacyDeclaration) -> bool:
    """The declaration shares personal information for cross-context behavioural advertising."""
    return decl.sharing if decl.sharing is not None else _under(decl.data_use, SHARING_USES)


def is_sensitive(decl: PrivacyDeclaration) -> bool:
    """The declaration uses sensitive personal information beyond § 7027(m) purposes."""
    return bool(decl.sensitive_use)


def restriction_flags(datamap: DataMap) -> list[tuple[str, str, str]]:
    """(dataset, collection, field) of every field marked ``restriction_flag: true``."""
    out = []
    for ds in datamap.dataset:
        for coll in ds.collections:
            for name, f in iter_fields(coll.fields):
                if f.restriction_flag:
                    out.append((ds.fides_key, coll.name, name))
    return out


def check(checker: Checker) -> None:
    """Problems of the markings: a marked declaration must be one a person can opt out of in
    the ledger (consent), and a restriction flag a writable top-level boolean column."""
    for i, system in enumerate(checker.map.system):
        for j, decl in enumerate(system.privacy_declarations):
            marked = [k for k in ("sale", "sharing", "sensitive_use") if getattr(decl, k)]
            if marked and decl.legal_basis != LegalBasis.consent:
                checker.add(
                    ("system", i, "privacy_declarations", j, marked[0]),
                    f"'{marked[0]}: true' needs 'legal_basis: consent': opt-out requests and "
                    "GPC withdraw the consent purpose of this declaration",
                )
    for i, ds in enumerate(checker.map.dataset):
        for j, coll in enumerate(ds.collections):
            _check_fields(checker, coll.fields, ("dataset", i, "collections", j, "fields"), 0)


def _check_fields(
    checker: Checker, fields: list[DatasetField] | None, loc: Loc, depth: int
) -> None:
    for k, f in enumerate(fields or []):
        here = (*loc, k)
        if f.restriction_flag:
            meta = f.fides_meta
            why = ""
            if depth:
                why = "it is nested; mark a top-level column"
            elif meta is not None and (meta.read_only or meta.primary_key or meta.identity):
                why = "it is read-only, a primary key or an identity"
            elif meta is not None and meta.data_type and meta.data_type not in FLAG_TYPES:
                why = f"its data_type is {meta.data_type}; use boolean (or integer 0/1)"
            if why:
                checker.add(
                    (*here, "restriction_flag"),
                    f"field '{f.name}' cannot be the restriction flag: {why}",
                )
        _check_fields(checker, f.fields, (*here, "fields"), depth + 1)
