"""The data map's Fides resources: systems with their privacy declarations, and datasets."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ombud.datamap import disclosures as d

# A system or recipient without a connector is handled by hand: its owner gets a task per
# request (``ombud.manual``). The owner address is where that task's link is mailed.
_OWNER = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


def _check_manual(kind: str, key: str, manual: bool, owner: str) -> None:
    owner = owner.strip()
    if owner and not _OWNER.fullmatch(owner):
        raise ValueError(f"{kind} '{key}': owner {owner[:80]!r} is not an email address")
    if manual and not owner:
        raise ValueError(
            f"{kind} '{key}' is manual: give the owner's email address (owner: ...) so its "
            "tasks can be mailed"
        )


class ManualFields(BaseModel):
    """``manual`` and ``owner``, shared by systems and recipients."""

    manual: bool = Field(
        default=False, description="no connector: each request opens a task for the owner"
    )
    owner: str = Field(default="", description="email address of whoever handles its tasks")

    @model_validator(mode="after")
    def _manual_needs_owner(self) -> ManualFields:
        key = str(getattr(self, "fides_key", ""))
        _check_manual(type(self).__name__.lower(), key, self.manual, self.owner)
        return self


class FidesLike(BaseModel):
    """Fides resources: keys Ombud does not use are kept, so Fides files load unchanged."""

    model_config = ConfigDict(extra="allow")


# ---------------------------------------------------------------- systems
class LegalBasis(StrEnum):
    consent = "consent"
    contract = "contract"
    legal_obligation = "legal_obligation"
    vital_interests = "vital_interests"
    public_task = "public_task"
    legitimate_interests = "legitimate_interests"


class PrivacyDeclaration(FidesLike):
    name: str = ""
    data_use: str
    data_categories: list[str] = []
    data_subjects: list[str] = []
    legal_basis: LegalBasis | None = None
    legitimate_interest: str = ""
    retention: str = Field(default="", description="fides_key of a retention rule, or plain text")
    recipients: list[str] = Field(default=[], description="fides_keys of recipients")
    source: str = Field(default="provided", description="provided, automatic or third_party")
    dataset_references: list[str] = []
    legal_bases: list[d.BasisEntry] = []  # several bases, each with its condition
    provision: d.Provision | None = None
    automated_decision: d.AutomatedDecision | None = None
    sources: list[d.DataSource] = []
    ccpa_purpose: str = ""
    # Ombud (CCPA §§ 7026, 7027): what opt-out requests and GPC withdraw. Unset: inferred from
    # the data use (sale: third_party_sharing.*, sharing: marketing.advertising.*); sensitive
    # use is never inferred. A marked declaration needs ``legal_basis: consent``.
    sale: bool | None = None
    sharing: bool | None = None
    sensitive_use: bool | None = None


class System(ManualFields, FidesLike):
    fides_key: str
    name: str
    description: str = ""
    system_type: str = ""
    privacy_declarations: list[PrivacyDeclaration] = []


# ---------------------------------------------------------------- datasets (Fides form)
class FieldReference(FidesLike):
    dataset: str
    field: str = Field(description="collection.field[.subfield]")
    direction: str | None = Field(default=None, description="from or to")
    # Ombud: rows reached through this reference belong to the person the referenced row
    # belongs to (rectification changes them); without it they may be shared with others.
    owned: bool | None = None


class FieldMeta(FidesLike):
    identity: str | None = None
    primary_key: bool | None = None
    references: list[FieldReference] | None = None
    data_type: str | None = None
    length: int | None = None
    return_all_elements: bool | None = None
    read_only: bool | None = None
    custom_request_field: str | None = None
    context: bool | None = Field(
        default=None, description="exported in access packages even when not personal"
    )
    credential: bool | None = Field(
        default=None, description="a secret (hash, token): never exported in access packages"
    )
    # Fides files commonly put a field's override here rather than on the field itself.
    masking_strategy_override: MaskingStrategy | None = None


class MaskingStrategy(FidesLike):
    strategy: str
    configuration: dict[str, Any] = {}


class DatasetField(FidesLike):
    name: str
    description: str | None = None
    data_categories: list[str] | None = None
    fides_meta: FieldMeta | None = None
    fields: list[DatasetField] | None = None
    masking_strategy_override: MaskingStrategy | None = None
    # Ombud: people may ask to correct this field (rectification); false overrides a
    # correctable category of the data map.
    correctable: bool | None = None
    # Ombud: a boolean column the company's application reads to stop processing the row
    # (GDPR Art. 18); restriction requests set it, lifting clears it, retention keeps the row.
    restriction_flag: bool | None = None


class CollectionMeta(FidesLike):
    skip_processing: bool | None = None
    erase_after: list[str] | None = None
    after: list[str] | None = None
    masking_strategy_override: MaskingStrategy | None = None


class Collection(FidesLike):
    name: str
    description: str | None = None
    data_categories: list[str] | None = None
    fields: list[DatasetField]
    fides_meta: CollectionMeta | None = None


class DatasetMeta(FidesLike):
    after: list[str] | None = None
    namespace: dict[str, Any] | None = None


class Dataset(FidesLike):
    fides_key: str
    name: str | None = None
    description: str | None = None
    data_categories: list[str] | None = None
    collections: list[Collection]
    fides_meta: DatasetMeta | None = None
    connection: str | None = Field(default=None, description="name of a connection")
