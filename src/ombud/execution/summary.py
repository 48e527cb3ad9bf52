"""The readable summary of an access package: the data found and what GDPR Art. 15 adds."""

from __future__ import annotations

from typing import Any

from ombud.clock import utcnow
from ombud.datamap.schemas import DataMap
from ombud.datamap.taxonomy import is_personal_category, label
from ombud.datamap.transfers import is_third_country
from ombud.execution.changes import Row
from ombud.execution.masking import matches
from ombud.execution.planner import Plan
from ombud.web.render import render


def _related(categories: list[str], found: set[str]) -> bool:
    return not categories or any(matches(f, c) or matches(c, f) for c in categories for f in found)


def art15(datamap: DataMap, found: set[str]) -> dict[str, Any]:
    """Purposes, recipients, transfers, retention, source and complaint authority from the map."""
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
        {"name": r.name or r.fides_key, "period": r.period or "", "reason": r.reason}
        for r in datamap.retention
        if _related(r.data_categories, found) or r.collections
    ]
    org = datamap.organization
    return {
        "organization": org,
        "purposes": purposes,
        "recipients": recipients,
        "transfers": transfers,
        "retention": retention,
        "authority": org.supervisory_authority,
        "contact": org.privacy_contact or org.dpo,
    }


def summary_html(
    datamap: DataMap, plan: Plan, data: dict[str, list[Row]], kept: list[dict[str, str]]
) -> str:
    """Render ``execution/access_summary.html``."""
    found: set[str] = set()
    collections = []
    for name, rows in data.items():
        step = plan.step(name)
        for f in step.export_fields:
            found.update(c for c in f.categories if is_personal_category(c))
        collections.append(
            {
                "name": name,
                "rows": rows,
                "fields": [
                    (f.name, ", ".join(label("data_category", c, datamap) for c in f.categories))
                    for f in step.export_fields
                ],
            }
        )
    return render(
        "execution/access_summary.html",
        generated_at=utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        collections=collections,
        categories=sorted({label("data_category", c, datamap) for c in found}),
        kept=kept,
        unreachable=plan.unreachable_dicts(),
        **art15(datamap, found),
    )
