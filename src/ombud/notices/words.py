"""Plain words for keys the data map uses: taxonomy labels, legal bases, periods, countries.

Every fixed phrase goes through the catalogs (``ombud.i18n``), so it is said in the language
being rendered; the phrases are built at call time, never at import."""

from __future__ import annotations

from babel import Locale

from ombud import i18n
from ombud.datamap import taxonomy, transfers
from ombud.datamap.periods import parse_period
from ombud.datamap.schemas import DataMap, Safeguard
from ombud.datamap.schemas_fides import LegalBasis
from ombud.dsr import jurisdictions as dsr_rules
from ombud.dsr.deadlines import Period as LegalPeriod
from ombud.dsr.wording import period_words
from ombud.i18n import gettext as _

Kind = taxonomy.Kind


def label(kind: Kind, key: str, datamap: DataMap | None = None) -> str:
    """Plain words for a taxonomy key (data map override, Ombud's wording, fideslang's)."""
    return taxonomy.label(kind, key, datamap)


def explanation(kind: Kind, key: str, datamap: DataMap | None = None) -> str:
    """One line explaining a taxonomy key, in the current language."""
    return taxonomy.description(kind, key, datamap)


def is_personal_category(key: str) -> bool:
    """False for ``system.*`` categories, which describe the system rather than a person."""
    return taxonomy.is_personal_category(key)


def legal_basis(value: LegalBasis | str) -> str:
    """A legal basis in words."""
    return {
        "consent": _("your consent (you can withdraw it at any time)"),
        "contract": _("to perform our contract with you"),
        "legal_obligation": _("to comply with a legal obligation"),
        "vital_interests": _("to protect someone's vital interests"),
        "public_task": _("to perform a task in the public interest"),
        "legitimate_interests": _("our legitimate interests"),
    }[str(value)]


def safeguard_name(value: Safeguard | str | None, region: str = "eu") -> str:
    """A transfer safeguard in words, citing the law of ``region``."""
    if value is None or value == "":
        return _("no safeguard recorded")
    if str(value) == "adequacy":
        return {
            "eu": _("an adequacy decision of the European Commission (GDPR Art. 45)"),
            "uk": _("UK adequacy regulations (UK GDPR Art. 45)"),
            "ch": _("Switzerland's list of adequate countries (FADP Art. 16(1))"),
        }[region]
    if str(value) == "certification":
        return _("the recipient's certification under a data privacy framework")
    law = {"eu": _("GDPR"), "uk": _("UK GDPR"), "ch": _("FADP")}[region]
    articles = {
        "standard_contractual_clauses": "16(2)(d)" if region == "ch" else "46(2)(c)",
        "binding_corporate_rules": "16(2)(e)" if region == "ch" else "46(2)(b), 47",
        "derogation": "17" if region == "ch" else "49",
    }
    said = {
        "standard_contractual_clauses": _("standard contractual clauses ({law} Art. {article})"),
        "binding_corporate_rules": _("binding corporate rules ({law} Art. {article})"),
        "derogation": _("a derogation for specific situations ({law} Art. {article})"),
    }
    if str(value) not in said:
        return str(value).replace("_", " ")
    return said[str(value)].format(law=law, article=articles[str(value)])


def safeguard(value: Safeguard | str | None, detail: str = "", region: str = "eu") -> str:
    """The transfer safeguard in words, with the organization's detail after a semicolon."""
    said = safeguard_name(value, region)
    return f"{said}; {detail.strip().rstrip('.')}" if detail.strip() else said


def role_title(role: str) -> str:
    """The heading of a group of recipients."""
    return {
        "processor": _("Service providers who process data on our behalf (processors)"),
        "partner": _("Partners who receive data for their own purposes"),
        "affiliate": _("Companies of our group"),
        "authority": _("Public authorities, when the law requires it"),
        "business_transfer": _("A buyer or successor, if our business is sold or merged"),
    }[role]


def source_title(source: str) -> str:
    """The heading of a group of data by where it comes from."""
    return {
        "provided": _("Data you provide to us"),
        "automatic": _("Data we collect automatically"),
        "third_party": _("Data we obtain from third parties"),
    }[source]


SOURCES = ("provided", "automatic", "third_party")
ROLES = ("processor", "partner", "affiliate", "authority", "business_transfer")
COOKIE_ORDER = ("strictly_necessary", "functional", "analytics", "advertising")


def cookie_category(value: str) -> str:
    """A cookie category in words."""
    return {
        "strictly_necessary": _("Strictly necessary"),
        "functional": _("Functional"),
        "analytics": _("Analytics"),
        "advertising": _("Advertising"),
    }[value]


def with_reference(reason: str, reference: str) -> str:
    """'reason (reference)', without a stray full stop before the bracket."""
    reason = reason.strip().rstrip(".")
    if not reference:
        return reason
    return f"{reason} ({reference})" if reason else reference


def country(code: str) -> str:
    """The country's name in the current language (the code itself when unknown)."""
    return str(Locale.parse(i18n.current()).territories.get(code.upper(), code.upper()))


def outside_eea(code: str) -> bool:
    """True when data sent to ``code`` leaves the EU/EEA."""
    return transfers.is_third_country(code)


def period(value: str | None) -> str:
    """An ISO 8601 duration (``P1Y6M``) or free text (``30 days``) in words."""
    if not value:
        return _("no fixed period: as long as needed for the purpose")
    parsed = parse_period(value)
    if parsed is None:
        return value.strip()
    return period_words(parsed, i18n.current())


def join_words(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c`` (``und`` in German)."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " " + _("and") + " " + words[-1]


def law_name(key: str, fallback: str = "") -> str:
    """The name of a privacy law Ombud knows, in the current language."""
    known = {
        "gdpr": _("EU General Data Protection Regulation"),
        "uk_gdpr": _("UK General Data Protection Regulation"),
        "ccpa": _("California Consumer Privacy Act / CPRA"),
    }
    return known.get(key, fallback or key.upper())


def legal_period(value: LegalPeriod) -> str:
    """A legal period in words: 'one month', '45 calendar days', '10 business days'."""
    if value.months:
        return i18n.ngettext("one month", "%(n)d months", value.months) % {"n": value.months}
    if value.days:
        return _("%(n)d calendar days") % {"n": value.days}
    return _("%(n)d business days") % {"n": value.business_days}


def jurisdiction_rules(datamap: DataMap) -> list[dict[str, str]]:
    """Name, answer deadline and extension of each jurisdiction in use, in words."""
    rules = dsr_rules.build(datamap.jurisdiction)
    out = []
    for key in datamap.organization.jurisdictions:
        rule = rules.get(key)
        if rule is None:
            out.append({"key": key, "name": law_name(key), "deadline": "", "extension": ""})
            continue
        extension = legal_period(rule.extension) if rule.extension else ""
        out.append(
            {
                "key": key,
                "name": law_name(key, rule.name),
                "deadline": legal_period(rule.deadline),
                "extension": extension,
            }
        )
    return out
