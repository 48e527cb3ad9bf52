"""What a completion letter says about the outcome: erased data, data kept once per
retention rule with why and until when, or that we hold no personal data about the person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.datamap import service as datamap_service
from ombud.datamap.periods import parse_period
from ombud.datamap.schemas import DataMap
from ombud.dsr import wording
from ombud.errors import NotFound
from ombud.execution import package
from ombud.execution.summary import humanize
from ombud.models.requests import PrivacyRequest

UNLOCK_SUFFIX = "/open"


def _title(name: str) -> str:
    """``postlicht_app.login_events`` -> ``Login events`` (the package has the descriptions)."""
    return humanize(name.rpartition(".")[2] or name)


def erased(result: dict[str, Any], datamap: DataMap | None) -> list[dict[str, Any]]:
    """Collections whose rows were masked or deleted, with counts and fields."""
    out = []
    for name, info in (result.get("collections") or {}).items():
        if not isinstance(info, dict) or info.get("action") not in ("mask", "delete"):
            continue
        if not info.get("rows"):
            continue
        fields = [] if info.get("action") == "delete" else [humanize(f) for f in info["fields"]]
        out.append(
            {
                "collection": name,
                "title": _title(name),
                "rows": info["rows"],
                "action": info["action"],
                "fields": fields,
                "held": (info.get("held") or {}).get("rows", 0),
                "ended": (info.get("retention_ended") or {}).get("rows", 0),
            }
        )
    return out


def kept_by_rule(
    result: dict[str, Any], datamap: DataMap | None, *, language: str, now: datetime
) -> list[dict[str, Any]]:
    """Held data once per retention rule: what (collections and fields), why, until when.

    ``until`` is the day the rule's period ends for data written today, so no held row is kept
    longer (the period of an older row ends sooner)."""
    rules = {r.fides_key: r for r in datamap.retention} if datamap else {}
    groups: dict[str, dict[str, Any]] = {}
    for item in result.get("kept") or []:
        if not isinstance(item, dict):
            continue
        key = str(item.get("rule") or item.get("reason") or "")
        rule = rules.get(key)
        group = groups.setdefault(
            key,
            {
                "rule": key,
                "name": (rule.name or rule.fides_key) if rule else "",
                "reason": ((rule.reason if rule else "") or str(item.get("reason", ""))).rstrip(
                    "."
                ),
                "legal_reference": rule.legal_reference if rule else "",
                "what": {},
                "until": "",
            },
        )
        what = group["what"].setdefault(_title(str(item["collection"])), [])
        if item.get("field"):
            what.append(humanize(str(item["field"])))
        period = parse_period(rule.period or "") if rule else None
        if period is not None:
            group["until"] = wording.human_date(period.add_to(now).date(), language)
    return [
        {**g, "what": [{"title": t, "fields": f} for t, f in g["what"].items()]}
        for g in groups.values()
    ]


def completion_context(
    session: Session, request: PrivacyRequest, result: dict[str, Any]
) -> dict[str, Any]:
    """Template values of the completion letter beyond the stored result."""
    try:
        datamap: DataMap | None = datamap_service.get_current(session)
    except NotFound:
        datamap = None
    default = datamap.organization.language if datamap else None
    language = wording.language_of(request.language, default)
    return {
        "no_data": bool(result.get("no_data")),
        "erased": erased(result, datamap),
        "kept_rules": kept_by_rule(result, datamap, language=language, now=utcnow()),
        "package_name": result.get("package_name"),
        "unlock_attempts": package.UNLOCK_TRIES_PER_HOUR,
    }
