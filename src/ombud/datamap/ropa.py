"""Records of processing activities (GDPR Art. 30(1)) built from the data map, as CSV or HTML."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment

from ombud.datamap import taxonomy
from ombud.datamap.periods import parse_period
from ombud.datamap.schemas import Address, Contact, DataMap, LegalEntity, Recipient, RetentionRule
from ombud.datamap.schemas_fides import PrivacyDeclaration, System
from ombud.datamap.transfers import is_third_country

LEGAL_BASIS_WORDS = {
    "consent": "Consent (GDPR Art. 6(1)(a))",
    "contract": "Performance of a contract (GDPR Art. 6(1)(b))",
    "legal_obligation": "Compliance with a legal obligation (GDPR Art. 6(1)(c))",
    "vital_interests": "Vital interests (GDPR Art. 6(1)(d))",
    "public_task": "Public task (GDPR Art. 6(1)(e))",
    "legitimate_interests": "Legitimate interests (GDPR Art. 6(1)(f))",
}
SAFEGUARD_WORDS = {
    "adequacy": "adequacy decision (GDPR Art. 45)",
    "standard_contractual_clauses": "standard contractual clauses (GDPR Art. 46(2)(c))",
    "binding_corporate_rules": "binding corporate rules (GDPR Art. 47)",
    "derogation": "derogation (GDPR Art. 49)",
}
ROLE_WORDS = {
    "processor": "Processors",
    "partner": "Partners",
    "affiliate": "Affiliates",
    "authority": "Authorities",
}


@dataclass
class Party:
    """A controller, representative or DPO with how to reach them."""

    name: str
    contact: str


@dataclass
class Activity:
    """One processing activity (one privacy declaration)."""

    system: str
    name: str
    purpose: str
    legal_basis: str
    data_subjects: list[str]
    data_categories: list[str]
    recipients: list[str]
    transfers: list[str]
    retention: list[str]


@dataclass
class Ropa:
    """The whole record."""

    controller: Party
    representative: Party | None
    dpo: Party | None
    security_measures: list[str]
    activities: list[Activity] = field(default_factory=list)


def _address(address: Address | None) -> str:
    if address is None:
        return ""
    parts = [address.street, f"{address.postcode} {address.city}".strip(), address.region]
    return ", ".join(p for p in (*parts, address.country) if p)


def _join(*parts: str) -> str:
    return ", ".join(p for p in parts if p)


def _entity(entity: LegalEntity) -> Party:
    return Party(entity.name, _join(_address(entity.address), entity.email))


def _contact(contact: Contact) -> Party:
    return Party(
        contact.name or "Data protection officer",
        _join(_address(contact.address), contact.email, contact.phone, contact.url),
    )


def _fides_party(raw: Any) -> Party | None:
    """Fides ``controller``/``representative``/``data_protection_officer`` (address is text)."""
    if not isinstance(raw, dict) or not raw.get("name"):
        return None
    return Party(
        str(raw["name"]), _join(*(str(raw.get(k) or "") for k in ("address", "email", "phone")))
    )


def _parties(datamap: DataMap) -> tuple[Party, Party | None, Party | None]:
    org = datamap.organization
    extra = org.model_extra or {}
    by_role = {e.role: e for e in reversed(org.legal_entities)}
    controller = (
        _entity(by_role["controller"])
        if "controller" in by_role
        else _fides_party(extra.get("controller"))
    ) or Party(org.name, org.website)
    representative = (
        _entity(by_role["representative"])
        if "representative" in by_role
        else _fides_party(extra.get("representative"))
    )
    dpo = _contact(org.dpo) if org.dpo else _fides_party(extra.get("data_protection_officer"))
    return controller, representative, dpo


def _legal_basis(decl: PrivacyDeclaration) -> str:
    if decl.legal_basis is not None:
        words = LEGAL_BASIS_WORDS[decl.legal_basis.value]
        return f"{words}: {decl.legitimate_interest}" if decl.legitimate_interest else words
    fides = (decl.model_extra or {}).get("legal_basis_for_processing")
    return str(fides) if fides else "Not stated"


def _rule_text(rule: RetentionRule, datamap: DataMap) -> str:
    period = parse_period(rule.period or "")
    what = rule.name or ", ".join(
        [taxonomy.label("data_category", c, datamap) for c in rule.data_categories]
        + rule.collections
    )
    text = f"{what}: {period or rule.period or 'no period'}, then {rule.action.value}"
    if rule.legal_hold:
        reason = _join(rule.reason, rule.legal_reference)
        text += f" (legal hold{': ' + reason if reason else ''})"
    return text


def _retention(decl: PrivacyDeclaration, datamap: DataMap) -> list[str]:
    rules = {r.fides_key: r for r in datamap.retention}
    if decl.retention in rules:
        return [_rule_text(rules[decl.retention], datamap)]
    if decl.retention:
        return [decl.retention]
    # No rule named: the rules covering this activity's data categories or datasets apply.
    cats = set(decl.data_categories)
    datasets = set(decl.dataset_references)
    matching = [
        r
        for r in datamap.retention
        if cats & set(r.data_categories) or datasets & {c.split(".")[0] for c in r.collections}
    ]
    if matching:
        return [_rule_text(r, datamap) for r in matching]
    fides = (decl.model_extra or {}).get("retention_period")
    return [f"{fides} days" if str(fides).isdigit() else str(fides)] if fides else ["Not stated"]


def _recipients(recipients: list[Recipient]) -> tuple[list[str], list[str]]:
    grouped: dict[str, list[str]] = {}
    transfers: list[str] = []
    for r in recipients:
        grouped.setdefault(ROLE_WORDS[r.role.value], []).append(
            f"{r.name} ({r.purpose}, {r.country})"
        )
        if is_third_country(r.country):
            safeguard = SAFEGUARD_WORDS[r.safeguard.value] if r.safeguard else "NO SAFEGUARD"
            detail = f" ({r.safeguard_detail})" if r.safeguard_detail else ""
            transfers.append(f"{r.name} in {r.country}: {safeguard}{detail}")
    lines = [f"{role}: {'; '.join(names)}" for role, names in grouped.items()]
    return lines, transfers


def _activity(system: System, decl: PrivacyDeclaration, datamap: DataMap) -> Activity:
    recipients = [r for key in decl.recipients if (r := datamap.get_recipient(key)) is not None]
    recipient_lines, transfers = _recipients(recipients)
    use = taxonomy.label("data_use", decl.data_use, datamap)
    return Activity(
        system=system.name,
        name=decl.name or use,
        purpose=use if not decl.name else f"{decl.name} ({use})",
        legal_basis=_legal_basis(decl),
        data_subjects=[taxonomy.label("data_subject", s, datamap) for s in decl.data_subjects],
        data_categories=[taxonomy.label("data_category", c, datamap) for c in decl.data_categories],
        recipients=recipient_lines or ["None outside the controller"],
        transfers=transfers or ["None"],
        retention=_retention(decl, datamap),
    )


def build_ropa(datamap: DataMap) -> Ropa:
    """The Art. 30(1) record of the controller described by ``datamap``."""
    controller, representative, dpo = _parties(datamap)
    org = datamap.organization
    security = list(org.security_measures)
    policy = (org.model_extra or {}).get("security_policy")
    if policy:
        security.append(f"Security policy: {policy}")
    return Ropa(
        controller=controller,
        representative=representative,
        dpo=dpo,
        security_measures=security or ["Not stated"],
        activities=[
            _activity(system, decl, datamap)
            for system in datamap.system
            for decl in system.privacy_declarations
        ],
    )


CSV_HEADER = [
    "controller", "controller_contact", "representative", "dpo", "system", "activity",
    "purpose", "legal_basis", "data_subjects", "data_categories", "recipients",
    "third_country_transfers", "retention", "security_measures",
]  # fmt: skip


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection);
# the same rule as the export packages' CSV files.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(ropa: Ropa) -> str:
    """One row per processing activity; text a spreadsheet would run as a formula gets a ``'``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    rep = (
        f"{ropa.representative.name}, {ropa.representative.contact}" if ropa.representative else ""
    )
    dpo = f"{ropa.dpo.name}, {ropa.dpo.contact}" if ropa.dpo else ""
    for a in ropa.activities:
        row = [
            ropa.controller.name,
            ropa.controller.contact,
            rep,
            dpo,
            a.system,
            a.name,
            a.purpose,
            a.legal_basis,
            "; ".join(a.data_subjects),
            "; ".join(a.data_categories),
            " | ".join(a.recipients),
            " | ".join(a.transfers),
            " | ".join(a.retention),
            " | ".join(ropa.security_measures),
        ]
        writer.writerow([_cell(c) for c in row])
    return out.getvalue()


HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Records of processing activities: {{ r.controller.name }}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:2rem}
th,td{border:1px solid #ccc;padding:.4rem .6rem;text-align:left;vertical-align:top}
th{background:#f3f3f3;width:16rem}ul{margin:0;padding-left:1.2rem}
</style></head><body>
<h1>Records of processing activities</h1>
<p>GDPR Article 30(1) record of {{ r.controller.name }}.</p>
<h2>Controller</h2>
<table>
<tr><th>Controller</th><td>{{ r.controller.name }}<br>{{ r.controller.contact }}</td></tr>
<tr><th>Representative</th><td>{% if r.representative %}{{ r.representative.name }}<br>
{{ r.representative.contact }}{% else %}None appointed{% endif %}</td></tr>
<tr><th>Data protection officer</th><td>{% if r.dpo %}{{ r.dpo.name }}<br>{{ r.dpo.contact }}
{% else %}None appointed{% endif %}</td></tr>
<tr><th>Security measures (general description)</th><td><ul>
{% for m in r.security_measures %}<li>{{ m }}</li>{% endfor %}</ul></td></tr>
</table>
{% for a in r.activities %}
<h2>{{ loop.index }}. {{ a.name }}</h2>
<table>
<tr><th>System</th><td>{{ a.system }}</td></tr>
<tr><th>Purpose</th><td>{{ a.purpose }}</td></tr>
<tr><th>Legal basis</th><td>{{ a.legal_basis }}</td></tr>
{% for title, items in [("Categories of data subjects", a.data_subjects),
  ("Categories of personal data", a.data_categories), ("Recipients", a.recipients),
  ("Transfers to third countries", a.transfers), ("Retention", a.retention)] %}
<tr><th>{{ title }}</th><td><ul>{% for i in items %}<li>{{ i }}</li>{% endfor %}</ul></td></tr>
{% endfor %}
</table>
{% endfor %}
</body></html>
"""

_env = Environment(autoescape=True)


def to_html(ropa: Ropa) -> str:
    """A standalone, readable HTML page (all text escaped)."""
    return _env.from_string(HTML).render(r=ropa)
