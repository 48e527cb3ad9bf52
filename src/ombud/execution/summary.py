"""The readable parts of an access package (README.txt, index.html): the data found in the
data map's names and words, what was left out, and what GDPR Art. 15 adds."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, TypeVar

from markupsafe import Markup

from ombud.clock import utcnow
from ombud.datamap.schemas import Authority, DataMap
from ombud.datamap.schemas_fides import Collection, DatasetField
from ombud.datamap.taxonomy import is_personal_category, label
from ombud.datamap.transfers import is_third_country
from ombud.dsr.wording import human_datetime, retention_words
from ombud.execution.changes import Row
from ombud.execution.masking import matches
from ombud.execution.planner import CollectionPlan, FieldPlan, Plan
from ombud.web.render import render, render_parts

T = TypeVar("T")


# Results per plan (or step) object: the same for every request run with that map version.
# The objects themselves are kept in the entry, so a reused id() of a freed one never matches.
_PER_PLAN: dict[tuple[Any, ...], tuple[tuple[object, ...], Any]] = {}


def _per_plan(key: tuple[Any, ...], owners: tuple[object, ...], compute: Callable[[], T]) -> T:
    """``compute()`` once per ``owners`` (compared by identity) and ``key``."""
    full = (*map(id, owners), *key)
    entry = _PER_PLAN.get(full)
    if entry is not None and all(a is b for a, b in zip(entry[0], owners, strict=True)):
        found: T = entry[1]
        return found
    value = compute()
    if len(_PER_PLAN) >= 1024:
        _PER_PLAN.clear()
    _PER_PLAN[full] = (owners, value)
    return value


def _related(categories: list[str], found: set[str]) -> bool:
    return not categories or any(matches(f, c) or matches(c, f) for c in categories for f in found)


def art15(datamap: DataMap, found: set[str]) -> dict[str, Any]:
    """Purposes, recipients, transfers, retention, source and complaint authority from the map
    (the same few answers for every request of a version: computed once per categories)."""
    return dict(_per_plan(("art15", frozenset(found)), (datamap,), lambda: _art15(datamap, found)))


def _art15(datamap: DataMap, found: set[str]) -> dict[str, Any]:
    purposes = []
    for system in datamap.system:
        for decl in system.privacy_declarations:
            if _related(decl.data_categories, found):
                purposes.append(
                    {
                        "system": system.name,
                        "purpose": decl.name or label("data_use", decl.data_use, datamap),
                        "legal_basis": (decl.legal_basis or "").replace("_", " "),
                        "categories": [
                            label("data_category", c, datamap) for c in decl.data_categories
                        ],
                        "categories_text": ", ".join(
                            label("data_category", c, datamap) for c in decl.data_categories
                        ),
                        "retention": decl.retention,
                        "source": decl.source,
                    }
                )
    recipients = [r for r in datamap.recipient if _related(r.data_categories, found)]
    transfers = [
        {
            "name": r.name,
            "country": r.country,
            "safeguard": (r.safeguard or "none stated").replace("_", " "),
            "detail": r.safeguard_detail,
        }
        for r in recipients
        if is_third_country(r.country)
    ]
    retention = [
        {
            "name": r.name or r.fides_key,
            "period": retention_words(r),
            "reason": r.reason,
            "legal_reference": r.legal_reference,
        }
        for r in datamap.retention
        if _related(r.data_categories, found) or r.collections
    ]
    org = datamap.organization
    facts = {
        "organization": org,
        "purposes": purposes,
        "recipients": recipients,
        "transfers": transfers,
        "retention": retention,
        "authority": org.supervisory_authority,
        "contact": org.privacy_contact or org.dpo,
    }
    # Its part of index.html too: most of the page, and the same for all these requests.
    facts["facts_html"] = Markup(render("execution/access_facts.html", **facts))
    return facts


# Secrets that protect the account, not information about the person: never exported.
CREDENTIAL_CATEGORIES = ("user.authorization.credentials", "user.authorization.password")
NO_DATA = "We hold no personal data about you."
_ACRONYMS = {"id", "ip", "url", "vat", "iban", "bic", "sms", "uk", "eu", "us"}


def is_credential(f: FieldPlan) -> bool:
    """True for a field marked ``credential: true`` or of a credential category."""
    return f.credential or any(matches(c, t) for c in f.categories for t in CREDENTIAL_CATEGORIES)


def shown_fields(step: CollectionPlan) -> list[FieldPlan]:
    """Fields a package shows: exported ones and ``context`` ones, never credentials."""

    def compute() -> list[FieldPlan]:
        exported = {f.name for f in step.export_fields}
        return [
            f for f in step.fields if (f.name in exported or f.context) and not is_credential(f)
        ]

    return list(_per_plan(("shown",), (step,), compute))


@lru_cache(maxsize=4096)
def humanize(name: str) -> str:
    """``login_events`` -> ``Login events``, ``ip_address`` -> ``IP address``."""
    # Cached: every package and letter names the same fields of the same map.
    words = [w.upper() if w in _ACRONYMS else w for w in name.replace(".", " ").split("_")]
    text = " ".join(w for w in words if w)
    return text[:1].upper() + text[1:]


def _find_field(fields: list[DatasetField] | None, path: str) -> DatasetField | None:
    head, _, rest = path.partition(".")
    for f in fields or []:
        if f.name == head:
            return _find_field(f.fields, rest) if rest else f
    return None


def _collection(datamap: DataMap, step: CollectionPlan) -> Collection | None:
    for dataset in datamap.dataset:
        if dataset.fides_key == step.dataset:
            return next((c for c in dataset.collections if c.name == step.collection), None)
    return None


def data_rows(rows: list[Row], names: list[str]) -> Markup:
    """The rows of a collection's table as HTML, one ``<tr>`` line each (empty cells for
    missing values); built here because the template's lookups per cell cost more than the
    escaping."""
    lines = []
    for row in rows:
        cells = "".join(
            "<td></td>" if (value := row.get(name)) is None else f"<td>{_escaped(value)}</td>"
            for name in names
        )
        lines.append(f"<tr>{cells}</tr>\n")
    return Markup("".join(lines))


def _escaped(value: object) -> str:
    """``markupsafe.escape(value)`` for a value read from a database (no ``__html__``): the
    same five replacements, without a ``Markup`` object per cell (a third of the time)."""
    text = value if type(value) is str else str(value)
    return (
        text.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


@dataclass(frozen=True)
class _Table:
    """A collection's table rows, made as HTML only when the page writes them (``__html__``,
    which Jinja's escaping calls): the page then holds one collection's rows as HTML at a
    time, not every collection's from the start."""

    rows: list[Row]
    names: list[str]

    def __html__(self) -> str:
        return str(data_rows(self.rows, self.names))


def describe(datamap: DataMap, plan: Plan, data: dict[str, list[Row]]) -> list[dict[str, Any]]:
    """Each collection of ``data`` in the data map's words: title, description, the fields
    shown (label, description, categories) and the credential fields left out."""
    out = []
    for name, rows in data.items():
        about = _per_plan(("about", name), (datamap, plan), partial(_about, datamap, plan, name))
        names = [f["name"] for f in about["fields"]]
        top, bottom = about["frame"]
        count = RECORDS[len(rows) != 1].format(n=len(rows))
        out.append(
            {
                **about,
                "rows": rows,
                "top": Markup(top.replace(_COUNT, count)),
                "table": _Table(rows, names),
                "bottom": bottom,
            }
        )
    return out


# How a collection's heading counts its rows (English, as the page).
RECORDS = ("{n} record", "{n} records")
# Where a request's count and table go in a collection's part of the page, rendered once per
# map version: text no data map holds (a NUL byte and a random word).
_COUNT = f"\x00count-{secrets.token_hex(8)}\x00"
_TABLE = f"\x00table-{secrets.token_hex(8)}\x00"


def _frame(about: dict[str, Any]) -> tuple[str, Markup]:
    """A collection's part of the page around its table: the text before it (its count still
    to be filled in) and the text after it."""
    text = render(
        "execution/collection_section.html", c=about, count=Markup(_COUNT), table=Markup(_TABLE)
    )
    top, bottom = text.split(_TABLE)
    return top, Markup(bottom)


def _about(datamap: DataMap, plan: Plan, name: str) -> dict[str, Any]:
    """A collection in the data map's words, without its rows (shared: read only)."""
    step = plan.step(name)
    found = _collection(datamap, step)
    fields = []
    for f in shown_fields(step):
        meta = _find_field(found.fields if found else None, f.name)
        categories = [label("data_category", c, datamap) for c in f.categories]
        fields.append(
            {
                "name": f.name,
                "label": humanize(f.name),
                "description": (meta.description if meta else None) or "",
                "categories": categories,
                # Joined once here: the template's join filter escapes item by item.
                "categories_text": ", ".join(categories),
                "category_keys": list(f.categories),
                "personal": f.personal,
            }
        )
    parts = {
        "head_html": Markup(render("execution/collection_head.html", fields=fields)),
        "fields_html": Markup(render("execution/collection_fields.html", fields=fields)),
        "fields_text": render("execution/collection_fields.txt", fields=fields),
    }
    about: dict[str, Any] = {
        "name": name,
        "title": humanize(step.collection),
        "description": (found.description if found else None) or "",
        "fields": fields,
        **parts,
        "withheld": [
            {"collection": name, "field": f.name, "label": humanize(f.name)}
            for f in step.fields
            if is_credential(f)
        ],
    }
    about["frame"] = _frame(about)
    return about


def _context(
    datamap: DataMap,
    contents: list[dict[str, Any]],
    consents: list[dict[str, Any]],
    authority: Authority | None,
) -> dict[str, Any]:
    personal = {
        c for item in contents for f in item["fields"] for c in f["categories"] if f["personal"]
    }
    facts = art15(datamap, _found_keys(contents))
    if authority is not None:
        facts["authority"] = authority
    return {
        "generated_at": human_datetime(utcnow()),
        "collections": contents,
        "categories": sorted(personal),
        "consents": [{**c, "when": human_datetime(c["recorded_at"])} for c in consents],
        "withheld": [w for item in contents for w in item["withheld"]],
        "empty": not contents and not consents,
        "no_data": NO_DATA,
        **facts,
    }


def _found_keys(contents: list[dict[str, Any]]) -> set[str]:
    return {
        c
        for item in contents
        for f in item["fields"]
        for c in f["category_keys"]
        if is_personal_category(c)
    }


def summary_parts(
    datamap: DataMap,
    plan: Plan,
    contents: list[dict[str, Any]],
    kept: list[dict[str, str]],
    consents: list[dict[str, Any]],
    *,
    authority: Authority | None = None,
) -> Iterator[str]:
    """Render ``execution/access_summary.html`` (the package's ``index.html``), part by part."""
    return render_parts(
        "execution/access_summary.html",
        kept=kept,
        unreachable=plan.unreachable_dicts(),
        **_context(datamap, contents, consents, authority),
    )


def readme_text(
    datamap: DataMap,
    plan: Plan,
    contents: list[dict[str, Any]],
    consents: list[dict[str, Any]],
    *,
    authority: Authority | None = None,
) -> str:
    """Render ``execution/README.txt``: what is in the package, in plain words."""
    return render(
        "execution/README.txt",
        unreachable=plan.unreachable_dicts(),
        **_context(datamap, contents, consents, authority),
    )
