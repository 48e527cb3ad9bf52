"""The data map: Fides resources (organization and policies here; systems and datasets in
``schemas_fides``) plus what a privacy statement needs and Fides lacks (recipients, retention,
cookies, subscriptions, connections, statement text). Field-level docs live in
``docs/datamap.md``."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from babel import Locale, UnknownLocaleError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ombud.datamap import disclosures as d
from ombud.datamap.appearance import Brand
from ombud.datamap.schemas_fides import Dataset, FidesLike, ManualFields, System
from ombud.datamap.urls import URL_SCHEMES, WebUrl

__all__ = ["URL_SCHEMES", "Brand", "WebUrl"]


class Strict(BaseModel):
    """Ombud-only resources: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- organization
class Address(Strict):
    street: str = ""
    city: str = ""
    postcode: str = ""
    region: str = ""
    country: str = Field(description="ISO 3166-1 alpha-2 code, e.g. DE")


class LegalEntity(Strict):
    name: str
    role: str = Field(
        default="controller", description="controller, joint_controller, representative"
    )
    address: Address
    registration: str = ""
    email: str = ""


class Contact(Strict):
    name: str = ""
    email: str = ""
    phone: str = ""
    url: WebUrl = ""
    address: Address | None = None


class Authority(Strict):
    name: str
    country: str = ""
    url: WebUrl = ""
    email: str = ""
    address: Address | None = None


class Organization(FidesLike):
    fides_key: str
    name: str
    description: str = ""
    website: str = ""
    legal_entities: list[LegalEntity] = []
    dpo: Contact | None = None
    privacy_contact: Contact | None = None
    supervisory_authority: Authority | None = None
    dispute_resolution: Authority | None = None
    security_measures: list[str] = []
    jurisdictions: list[str] = Field(default_factory=lambda: ["gdpr"])
    language: str = Field(
        default="en", description="language of letters when a request names none (en, de, ...)"
    )
    sells_personal_data: bool = False
    children_min_age: int = 16
    # What a complete statement needs beyond Fides (docs/datamap.md, datamap/disclosures.py).
    languages: list[str] = Field(default_factory=lambda: ["en"])
    commitments: d.Commitments = Field(default_factory=d.Commitments)
    requests: d.Requests = Field(default_factory=d.Requests)
    ccpa: d.Ccpa = Field(default_factory=d.Ccpa)
    joint_controllers: list[d.JointController] = []
    certifications: list[d.Certification] = []
    as_processor: d.AsProcessor | None = None
    notifications: d.Notifications = Field(default_factory=d.Notifications)
    transfer_regions: d.Regions = []  # eu, uk, ch; default: from jurisdictions
    brand: Brand = Brand()

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        try:
            Locale.parse(value.strip().replace("-", "_"))
        except (UnknownLocaleError, ValueError):
            raise ValueError(f"unknown language {value!r}; use a code such as en or de") from None
        return value.strip()


# ---------------------------------------------------------------- recipients
class RecipientRole(StrEnum):
    processor = "processor"
    partner = "partner"
    affiliate = "affiliate"
    authority = "authority"
    business_transfer = "business_transfer"


class Safeguard(StrEnum):
    adequacy = "adequacy"
    standard_contractual_clauses = "standard_contractual_clauses"
    binding_corporate_rules = "binding_corporate_rules"
    derogation = "derogation"


class Recipient(ManualFields, Strict):
    fides_key: str
    name: str
    role: RecipientRole
    purpose: str
    country: str = Field(description="ISO 3166-1 alpha-2 code of where the data is processed")
    safeguard: Safeguard | None = None
    safeguard_detail: str = ""
    data_categories: list[str] = []
    url: WebUrl = ""
    sells_data: bool = False
    shares_data: bool = False  # CCPA "sharing": cross-context behavioural advertising
    safeguards: dict[str, d.RegionSafeguard] = {}  # under UK (uk) or Swiss (ch) law
    ccpa_category: str = ""  # CCPA category of third party, in words


# ---------------------------------------------------------------- retention
class RetentionAction(StrEnum):
    delete = "delete"
    anonymise = "anonymise"
    report = "report"  # only counted and reported (e.g. a hold that keeps, never deletes)


class RetentionRule(Strict):
    fides_key: str
    name: str = ""
    data_categories: list[str] = []
    collections: list[str] = Field(default=[], description="dataset.collection names")
    period: str | None = Field(
        default=None, description="ISO 8601 duration (P30D, P10Y) or '30 days', '10 years'"
    )
    action: RetentionAction = RetentionAction.delete
    legal_hold: bool = Field(default=False, description="data is kept even against erasure")
    reason: str = ""
    legal_reference: str = ""
    timestamp_field: str = Field(default="", description="field the period counts from")
    counted_from: str = Field(
        default="", description="the event the period counts from, in words for letters"
    )


# ---------------------------------------------------------------- cookies
class CookieCategory(StrEnum):
    strictly_necessary = "strictly_necessary"
    functional = "functional"
    analytics = "analytics"
    advertising = "advertising"


class Cookie(Strict):
    name: str
    provider: str
    category: CookieCategory
    duration: str
    purpose: str
    domain: str = ""
    kind: str = Field(default="cookie", description="cookie, local_storage, pixel, sdk")
    recipient: str = Field(default="", description="fides_key of the recipient who reads it")


# ---------------------------------------------------------------- subscriptions
class Subscription(Strict):
    """A marketing or notification purpose people opt in to (newsletter, statement updates)."""

    fides_key: str
    name: str
    notice: str = Field(description="the text shown when asking for consent")
    data_use: str = "marketing.communications.email"
    double_opt_in: bool = True


# ---------------------------------------------------------------- connections
class Connection(Strict):
    name: str
    url: str = Field(description="SQLAlchemy-style URL; ${VAR} is read from the environment")
    engine: str | None = Field(default=None, description="postgresql, mysql or sqlite; from URL")


# ---------------------------------------------------------------- statement text
class SectionText(Strict):
    mode: str = Field(default="append", description="append, prepend or replace")
    markdown: str
    translations: dict[str, str] = Field(default={}, description="the Markdown per language")


# ---------------------------------------------------------------- the whole map
class DataMap(BaseModel):
    """The normalised data map: every file merged into one document."""

    model_config = ConfigDict(extra="forbid")

    organization: Organization
    system: list[System] = []
    dataset: list[Dataset] = []
    recipient: list[Recipient] = []
    retention: list[RetentionRule] = []
    cookie: list[Cookie] = []
    subscription: list[Subscription] = []
    connection: list[Connection] = []
    policy: list[dict[str, Any]] = []
    jurisdiction: list[dict[str, Any]] = Field(
        default=[], description="overrides of the shipped jurisdiction rules"
    )
    statement: dict[str, SectionText] = Field(
        default={}, description="Markdown per statement section key"
    )
    taxonomy: dict[str, list[dict[str, Any]]] = Field(
        default={}, description="custom data_category / data_use / data_subject entries"
    )
    correctable: list[str] = Field(
        default=[], description="data categories people may ask to correct (rectification)"
    )
    # Per language: the map's own English phrases and their translation.
    translations: dict[str, dict[str, str]] = {}

    def get_dataset(self, key: str) -> Dataset | None:
        """Return the dataset with this fides_key."""
        return next((d for d in self.dataset if d.fides_key == key), None)

    def get_recipient(self, key: str) -> Recipient | None:
        """Return the recipient with this fides_key."""
        return next((r for r in self.recipient if r.fides_key == key), None)

    def get_connection(self, name: str) -> Connection | None:
        """Return the connection with this name."""
        return next((c for c in self.connection if c.name == name), None)


class DataMapVersionOut(BaseModel):
    """A stored version as the API shows it."""

    id: str
    number: int
    content_hash: str
    author: str
    created_at: str
    document: dict[str, Any] | None = None


class DataMapVersionList(BaseModel):
    items: list[DataMapVersionOut]
