"""What people (and staff recording for them) submit as a request, and the intake's receipt."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from babel import Locale
from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ombud.dsr import wording
from ombud.dsr.corrections import Corrections
from ombud.dsr.sealing import check_passphrase, check_recipient
from ombud.models.requests import RequestType

# Requests whose answer is a data package the person may have encrypted.
PACKAGE_TYPES = frozenset({RequestType.access, RequestType.portability})


# Babel names these "territories", but nobody lives in them.
NOT_COUNTRIES = frozenset({"ZZ", "QO", "EU", "EZ", "UN", "XA", "XB"})


def _check_country(value: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code, optionally with a region (``US-CA``); ``None`` if empty."""
    text = (value or "").strip().upper()
    if not text:
        return None
    country, dash, region = text.partition("-")
    # UK is not ISO 3166-1 but is what many people (and the shipped UK GDPR rules) write.
    territory = country in Locale("en").territories or country == "UK"
    territory = territory and country not in NOT_COUNTRIES
    known = territory and country.isalpha() and len(country) == 2
    if not known or (dash and not (region.isascii() and region.isalnum() and len(region) <= 3)):
        raise ValueError(
            f"'{value}' is not a country code Ombud knows; use an ISO 3166 code such as DE, "
            "or US-CA for a US state"
        )
    return text


def _email(value: str) -> str:
    # Self-hosted sites use internal and test domains, so special-use names are allowed.
    try:
        checked = validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address: {exc}") from None
    return str(checked.normalized).lower()


Email = Annotated[str, Field(max_length=320), AfterValidator(_email)]


class Agent(BaseModel):
    """An authorized agent acting for the person; the person still confirms by code."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    contact: str = Field(min_length=3, max_length=320, description="email or phone of the agent")


def _secret_passphrase(value: SecretStr) -> SecretStr:
    check_passphrase(value.get_secret_value())
    return value


class PackageEncryption(BaseModel):
    """How the person wants their data package encrypted with age: exactly one of the two."""

    model_config = ConfigDict(extra="forbid")

    age_recipient: Annotated[str, Field(max_length=128), AfterValidator(check_recipient)] | None = (
        Field(default=None, description="an age public key (age1...) to encrypt the package to")
    )
    passphrase: Annotated[SecretStr, AfterValidator(_secret_passphrase)] | None = Field(
        default=None,
        description="a passphrase (12 characters or more) to open the package with age -d",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> PackageEncryption:
        if (self.age_recipient is None) == (self.passphrase is None):
            raise ValueError("give either age_recipient or passphrase (exactly one)")
        return self

    @property
    def method(self) -> str:
        """'age_recipient' or 'passphrase'."""
        return "age_recipient" if self.age_recipient else "passphrase"


class PrivacyRequestCreate(BaseModel):
    """A request as the person (or their agent) submits it."""

    model_config = ConfigDict(extra="forbid")

    type: RequestType
    email: Email = Field(description="the person's email; the confirmation code goes here")
    phone: str | None = Field(default=None, max_length=40)
    account_id: str | None = Field(default=None, max_length=200)
    jurisdiction: str | None = Field(
        default=None, max_length=32, description="gdpr, uk_gdpr, ccpa, ...; inferred if omitted"
    )
    country: str | None = Field(
        default=None, max_length=8, description="ISO 3166 code, e.g. DE or US-CA"
    )
    region: str | None = Field(default=None, max_length=8, description="e.g. CA for California")
    language: str | None = Field(
        default=None,
        max_length=16,
        description="language of the letters (en, de); the data map's default if omitted",
    )
    details: str = Field(default="", max_length=5000)
    rectification: Corrections | None = Field(
        default=None,
        description="for rectification: {collection.field or data category: correct value}; "
        "the keys the data map marks correctable (GET /api/v1/requests/correctable)",
    )
    purposes: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None,
        max_length=50,
        description="withdraw_consent and objection: the purposes (keys) meant; none: all",
    )
    agent: Agent | None = None
    encryption: PackageEncryption | None = Field(
        default=None,
        description="access and portability: encrypt the data package with age (optional)",
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        return wording.check_language(value) if value else None

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        # An unknown code would silently get the general rules: refuse it instead.
        return _check_country(value)

    @field_validator("region")
    @classmethod
    def _plain_region(cls, value: str | None) -> str | None:
        text = (value or "").strip().upper()
        if text and not (text.isascii() and text.isalnum() and len(text) <= 3):
            raise ValueError(f"'{value}' is not a region code such as CA (ISO 3166-2)")
        return text or None

    @field_validator("encryption")
    @classmethod
    def _only_for_packages(
        cls, value: PackageEncryption | None, info: ValidationInfo
    ) -> PackageEncryption | None:
        kind = info.data.get("type")
        if value is not None and kind is not None and kind not in PACKAGE_TYPES:
            raise ValueError(
                f"{kind.value} requests produce no data package; encryption applies to "
                "access and portability requests only"
            )
        return value

    @field_validator("agent")
    @classmethod
    def _agent_is_not_the_person(cls, value: Agent | None, info: ValidationInfo) -> Agent | None:
        # The person's confirmation is what proves consent: the code must not reach the agent.
        email = info.data.get("email")
        if value is not None and email and value.contact.strip().lower() == email:
            raise ValueError(
                "the agent's contact is the same as the person's email; give the email of the "
                "person the request is for, so that they can confirm it"
            )
        return value


def agent_email(contact: str) -> str | None:
    """The agent's contact as a single valid email address, or None (a phone, or not valid)."""
    try:
        return _email(contact.strip())
    except ValueError:
        return None


class CodeSubmit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=20)


class Receipt(BaseModel):
    """What the public intake returns: enough to continue, nothing more."""

    id: str
    status: str
    due_on: date | None
    message: str


class StaffRequestCreate(PrivacyRequestCreate):
    """A request staff record for the person (received by post, phone or another system)."""

    identity_verified: bool = Field(
        default=False,
        description="staff already checked the person's identity (say how in verification_note):"
        " no code is emailed and the request is verified at once; not for agents' requests",
    )
    verification_note: str = Field(
        default="", max_length=2000, description="how the identity was checked (audited)"
    )

    @model_validator(mode="after")
    def _note_with_verified(self) -> StaffRequestCreate:
        if self.identity_verified and not self.verification_note.strip():
            raise ValueError(
                "identity_verified needs a verification_note saying how it was checked"
            )
        if self.identity_verified and self.agent is not None:
            raise ValueError(
                "an agent's request is confirmed by the person with the emailed code; "
                "leave identity_verified false"
            )
        return self
