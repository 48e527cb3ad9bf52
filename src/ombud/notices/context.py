"""What section builders share: the context they read and small helpers for contact blocks."""

from __future__ import annotations

from dataclasses import dataclass

from ombud.datamap.schemas import Address as PostalAddress
from ombud.datamap.schemas import Authority, Contact, DataMap, PrivacyDeclaration, System
from ombud.notices import words
from ombud.notices.blocks import Link, Text, text

REQUEST_FORM = "/privacy/request"
PREFERENCES = "/privacy/preferences"


@dataclass(frozen=True)
class Context:
    """What a section builder reads: the data map and the settings the statement describes."""

    datamap: DataMap
    honour_dnt: bool

    def declarations(self) -> list[tuple[System, PrivacyDeclaration]]:
        """Every privacy declaration with its system, in data map order."""
        return [(s, d) for s in self.datamap.system for d in s.privacy_declarations]

    def category(self, key: str) -> str:
        """Plain words for a data category."""
        return words.label("data_category", key, self.datamap)

    def use(self, key: str) -> str:
        """Plain words for a data use."""
        return words.label("data_use", key, self.datamap)

    def purpose(self, decl: PrivacyDeclaration) -> str:
        """The declaration's own name, or the plain words of its data use."""
        return decl.name or self.use(decl.data_use)


def mail_link(address: str) -> Link:
    """A mailto link showing the address."""
    return Link(address, f"mailto:{address}")


def postal_lines(address: PostalAddress | None) -> list[Text]:
    """An address as lines: street, postcode and city, region, country."""
    if address is None:
        return []
    city = " ".join(p for p in (address.postcode, address.city) if p)
    parts = [address.street, city, address.region, words.country(address.country)]
    return [text(p) for p in parts if p]


def contact_lines(contact: Contact | Authority) -> list[Text]:
    """Lines of a contact block: name, address, email, phone, website."""
    lines: list[Text] = [text(contact.name)] if contact.name else []
    lines += postal_lines(contact.address)
    if contact.email:
        lines.append(text("Email: ", mail_link(contact.email)))
    if isinstance(contact, Contact) and contact.phone:
        lines.append(text(f"Phone: {contact.phone}"))
    if contact.url:
        lines.append(text("Web: ", Link(contact.url, contact.url)))
    return lines
