"""Jurisdiction rules as data: the shipped YAML file merged with the data map's overrides."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from ombud.datamap.schemas import Authority
from ombud.dsr.deadlines import Period
from ombud.errors import InvalidInput, NotFound
from ombud.models.requests import RequestType

RULES_FILE = Path(__file__).with_name("jurisdictions.yml")
# How many staff approvals a verified request needs: none ("auto": approved as soon as it is
# verified), one, or two from distinct staff members.
Approval = Literal["auto", "one", "two"]
DEFAULT_KEY = "default"


class TypeRule(BaseModel):
    """Overrides for one request type; unset fields fall back to the jurisdiction's."""

    model_config = ConfigDict(extra="forbid")

    deadline: Period | None = None
    extension: Period | None = None
    acknowledge: Period | None = None
    verification: bool | None = None
    approval: Approval | None = None


class Jurisdiction(BaseModel):
    """The rules of one jurisdiction."""

    model_config = ConfigDict(extra="forbid")

    key: str
    name: str
    countries: list[str] = []
    deadline: Period
    extension: Period | None = None
    extension_rule: str = ""
    acknowledge: Period | None = None
    verification: bool = True
    approval: Approval = "one"
    complaint_right: bool = True
    legal_reference: str = ""
    # Whom letters name for complaints; none: the organization's ``supervisory_authority``.
    authority: Authority | None = None
    # Complaints: the answer is due within this period of receipt (one month unless set).
    complaint_deadline: Period = Period(months=1)
    # Independent bodies a person may take an unresolved complaint to (e.g. JAMS in the US).
    dispute_resolution: list[Authority] = []
    types: dict[RequestType, TypeRule]


@dataclass(frozen=True)
class Rules:
    """The effective rules for one request type in one jurisdiction."""

    jurisdiction: Jurisdiction
    deadline: Period
    extension: Period | None
    acknowledge: Period | None
    verification: bool
    approval: Approval = "one"
    # Where the approval rule was written, e.g. "ccpa.types.opt_out_sale.approval".
    approval_rule: str = ""


@lru_cache
def _shipped() -> tuple[dict[str, Any], ...]:
    raw = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return tuple(raw["jurisdictions"])


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **{k: v for k, v in override.items() if k != "types"}}
    if "types" in override:
        types = dict(base.get("types") or {})
        for name, rule in (override["types"] or {}).items():
            if rule is None:
                types.pop(name, None)  # the data map withdraws a type
            else:
                types[name] = {**(types.get(name) or {}), **rule}
        merged["types"] = types
    return merged


def build(overrides: list[dict[str, Any]]) -> dict[str, Jurisdiction]:
    """Merge data map overrides (matched by ``key``) into the shipped rules and check them
    (the rules are shared between calls with the same overrides: treat them as read-only)."""
    # Every letter asks: checking the eight jurisdictions each time cost more than the letter.
    return dict(_built(json.dumps(overrides, sort_keys=True, default=str)))


@lru_cache(maxsize=32)
def _built(overrides_json: str) -> dict[str, Jurisdiction]:
    overrides: list[dict[str, Any]] = json.loads(overrides_json)
    raw = {j["key"]: dict(j) for j in _shipped()}
    for i, override in enumerate(overrides):
        key = override.get("key")
        if not isinstance(key, str) or not key:
            raise InvalidInput(f"data map jurisdiction[{i}] needs a 'key'")
        raw[key] = _merge(raw.get(key, {}), override)
    out: dict[str, Jurisdiction] = {}
    for key, value in raw.items():
        try:
            out[key] = Jurisdiction.model_validate(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InvalidInput(f"jurisdiction {key!r}: {where}: {first['msg']}") from None
    return out


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed where the unknown key at ``loc`` was written."""
    if len(loc) >= 2 and loc[-2] in ("deadline", "extension", "acknowledge"):
        return list(Period.model_fields)
    return list(Jurisdiction.model_fields if len(loc) == 1 else TypeRule.model_fields)


def override_problems(overrides: list[dict[str, Any]]) -> list[tuple[int, tuple[Any, ...], str]]:
    """Every problem of the data map's jurisdiction overrides as (entry, location, message)."""
    out: list[tuple[int, tuple[Any, ...], str]] = []
    shipped = {j["key"]: j for j in _shipped()}
    for i, override in enumerate(overrides):
        key = override.get("key")
        if not isinstance(key, str) or not key:
            out.append((i, (), "a jurisdiction override needs a 'key' (e.g. gdpr, ccpa)"))
            continue
        try:
            Jurisdiction.model_validate(_merge(dict(shipped.get(key, {})), override))
        except ValidationError as exc:
            for error in exc.errors():
                loc = tuple(error["loc"])
                if error["type"] == "extra_forbidden":
                    known = _known_keys(loc)
                    near = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.75)
                    hint = f"; did you mean '{near[0]}'?" if near else f" (use {', '.join(known)})"
                    message = f"unknown key '{loc[-1]}'{hint}"
                elif error["type"] == "missing" and key not in shipped:
                    message = f"missing required key '{loc[-1]}' (a new jurisdiction needs it)"
                else:
                    message = error["msg"]
                out.append((i, loc, f"jurisdiction '{key}': {message}"))
    return out


def load(session: Session) -> dict[str, Jurisdiction]:
    """The rules in force: shipped file plus the current data map's overrides, if any."""
    from ombud.datamap import service as datamap_service

    try:
        overrides = datamap_service.get_current(session).jurisdiction
    except NotFound:
        overrides = []
    return build(overrides)


def infer(
    jurisdictions: dict[str, Jurisdiction], *, country: str | None, region: str | None = None
) -> str:
    """The jurisdiction for a country (ISO code, optionally 'US-CA' or with a region)."""
    if country:
        code = country.strip().upper()
        candidates = [code]
        if region:
            candidates.insert(0, f"{code}-{region.strip().upper()}")
        for candidate in candidates:
            for j in jurisdictions.values():
                if candidate in (c.upper() for c in j.countries):
                    return j.key
    return DEFAULT_KEY if DEFAULT_KEY in jurisdictions else next(iter(jurisdictions))


def rules_for(jurisdiction: Jurisdiction, request_type: str) -> Rules:
    """Effective rules of a type; ``InvalidInput`` if the jurisdiction does not grant it."""
    try:
        kind = RequestType(request_type)
    except ValueError:
        allowed = ", ".join(t.value for t in RequestType)
        raise InvalidInput(
            f"unknown request type {request_type!r}; use one of: {allowed}"
        ) from None
    rule = jurisdiction.types.get(kind)
    if rule is None:
        granted = ", ".join(t.value for t in jurisdiction.types)
        raise InvalidInput(
            f"{jurisdiction.name} ({jurisdiction.key}) does not grant a {kind.value} request; "
            f"it grants: {granted}"
        )
    fields = rule.model_fields_set
    return Rules(
        jurisdiction=jurisdiction,
        deadline=rule.deadline or jurisdiction.deadline,
        extension=rule.extension if "extension" in fields else jurisdiction.extension,
        acknowledge=rule.acknowledge if "acknowledge" in fields else jurisdiction.acknowledge,
        verification=jurisdiction.verification if rule.verification is None else rule.verification,
        approval=jurisdiction.approval if rule.approval is None else rule.approval,
        approval_rule=(
            f"{jurisdiction.key}.approval"
            if rule.approval is None
            else f"{jurisdiction.key}.types.{kind.value}.approval"
        ),
    )


def get(jurisdictions: dict[str, Jurisdiction], key: str) -> Jurisdiction:
    """The jurisdiction named ``key`` or ``InvalidInput`` listing the known ones."""
    found = jurisdictions.get(key.strip().lower())
    if found is None:
        known = ", ".join(sorted(jurisdictions))
        raise InvalidInput(f"unknown jurisdiction {key!r}; use one of: {known}")
    return found
