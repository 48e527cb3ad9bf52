"""What the data map says for a complete privacy statement beyond Fides: GDPR Art. 13/14 items
(requirement to provide, automated decisions, sources, joint controllers), CCPA notices, the
company's commitments and its role as processor. Documented in ``docs/datamap.md``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

REGIONS = ("eu", "uk", "ch")


class Strict(BaseModel):
    """Ombud-only resources: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


def _regions(value: list[str]) -> list[str]:
    wrong = [v for v in value if v not in REGIONS]
    if wrong:
        raise ValueError(f"unknown region {wrong[0]!r}; use {', '.join(REGIONS)}")
    return value


Regions = Annotated[list[str], AfterValidator(_regions)]


class Basis(StrEnum):
    consent = "consent"
    contract = "contract"
    legal_obligation = "legal_obligation"
    vital_interests = "vital_interests"
    public_task = "public_task"
    legitimate_interests = "legitimate_interests"


class BasisEntry(Strict):
    """One of several legal bases of a purpose, with when it applies (GDPR 13(1)(c), (d))."""

    basis: Basis
    condition: str = Field(default="", description="when this basis applies, in words")
    legitimate_interest: str = ""


class Requirement(StrEnum):
    statutory = "statutory"
    contractual = "contractual"
    contract_entry = "contract_entry"
    voluntary = "voluntary"


class Provision(Strict):
    """Whether the person must give the data and what happens if not (GDPR 13(2)(e))."""

    requirement: Requirement
    obligatory: bool = False
    consequence: str = Field(default="", description="what happens if the data is not given")


class AutomatedDecision(Strict):
    """Automated decision-making or profiling (GDPR 13(2)(f), 14(2)(g), Art. 22)."""

    profiling: bool = True
    solely_automated: bool = True
    logic: str
    significance: str
    consequences: str
    human_review: str = Field(default="", description="how to obtain a human review")


class DataSource(Strict):
    """A named source of data not collected from the person (GDPR 14(2)(f))."""

    name: str
    data_categories: list[str] = []
    publicly_accessible: bool = False
    url: str = ""


class JointController(Strict):
    """The essence of a joint-controller arrangement (GDPR 26(2))."""

    name: str
    recipient: str = Field(default="", description="fides_key of the recipient, if listed")
    scope: str = Field(description="which processing is decided jointly")
    our_part: str = Field(description="what we are responsible for")
    their_part: str = Field(description="what the other controller is responsible for")
    contact: str = Field(default="", description="where people can exercise their rights")
    url: str = ""


class Certification(Strict):
    """A company-level transfer certification (e.g. EU-US Data Privacy Framework)."""

    name: str
    entity: str = Field(description="the certified company")
    regions: Regions = Field(default_factory=lambda: ["eu"])
    detail: str = ""
    url: str = ""


class RegionSafeguard(Strict):
    """The safeguard of a transfer under one region's law (uk, ch)."""

    safeguard: str = Field(description="adequacy, standard_contractual_clauses, ...")
    detail: str = ""


class AsProcessor(Strict):
    """Data we host for business customers, who decide about it (we are their processor)."""

    services: str = Field(description="which data, for which customers")
    contact: str = Field(default="", description="how a person reaches the customer, in words")


class Commitments(Strict):
    """Claims the statement makes only when the data map says so."""

    free_of_charge: bool = False
    excessive_requests: str = Field(
        default="", description="what happens with manifestly unfounded or excessive requests"
    )
    honours_gpc: bool = False
    consent_for_non_essential_cookies: bool = False
    announce_new_purposes: bool = Field(
        default=False, description="a new purpose is announced before it starts (GDPR 13(3))"
    )


class Requests(Strict):
    """How people make requests (CCPA § 7011(c)(2) to (4), § 7063)."""

    verification: str = Field(default="", description="how identity is checked, what is asked")
    authorized_agents: str = Field(default="", description="how an agent submits a request")
    toll_free_phone: str = ""


class FinancialIncentive(Strict):
    """A notice of financial incentive (CCPA § 7016)."""

    name: str
    summary: str
    data_categories: list[str] = []
    terms: str = ""
    opt_in: str = Field(description="how to join")
    withdraw: str = Field(description="how to leave at any time")
    value: str = Field(description="how the value of the data is estimated")


class Ccpa(Strict):
    """California statements that are facts about the business, not derived from systems."""

    sells_or_shares_under_16: bool = False
    limit_sensitive_link: bool = Field(
        default=False, description="offer 'Limit the Use of My Sensitive Personal Information'"
    )
    financial_incentives: list[FinancialIncentive] = []
    metrics_url: str = Field(default="", description="yearly request metrics (§ 7102)")


class Notifications(Strict):
    """Who is told about a material change of the statement."""

    affected_people: bool = Field(
        default=False, description="mail everyone in the affected collections, not only subscribers"
    )
