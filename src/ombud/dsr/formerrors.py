"""The request form's problems as sentences in plain words, one next to each field, in the
page's language."""

from __future__ import annotations

from typing import Any

from ombud.i18n import gettext as _


def country_missing() -> str:
    """No place chosen."""
    return _("Choose where you live: the law there decides your rights and how quickly we answer.")


def country_unknown() -> str:
    """A place the form did not offer."""
    return _("Choose where you live from the list; if it is not there, choose “Another country”.")


def nouns() -> dict[str, str]:
    """What each field is called inside a sentence."""
    return {
        "type": _("the request type"),
        "email": _("your email address"),
        "phone": _("the phone number"),
        "account_id": _("the customer or account number"),
        "details": _("the details"),
        "country": _("where you live"),
        "agent_name": _("the agent's name"),
        "agent_contact": _("the agent's email or phone"),
        "age_recipient": _("the age public key"),
        "passphrase": _("the passphrase"),
        "encryption": _("the protection of your data package"),
        "rectification": _("the corrections"),
    }


def as_sentence(text: str) -> str:
    """Capital first letter, full stop at the end."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def sentence(name: str, error: Any) -> str:
    """One pydantic error of field ``name`` as a sentence a person understands."""
    kind = str(error.get("type", ""))
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    noun = nouns().get(name, _("this field"))
    given = error.get("input")
    if name == "type":
        return _("Choose what you would like us to do from the list.")
    if kind == "missing" or (name == "email" and not str(given or "").strip()):
        return as_sentence(_("please fill in %(what)s") % {"what": noun})
    if kind == "string_too_long":
        most = (error.get("ctx") or {}).get("max_length")
        return as_sentence(
            _("%(what)s is too long: use at most %(most)s characters")
            % {"what": noun, "most": most}
        )
    if message.startswith(("must ", "should ")):
        return as_sentence(_("%(what)s %(rule)s") % {"what": noun, "rule": message})
    if message.startswith("not a valid "):
        return as_sentence(
            _("please check %(what)s: it is %(detail)s") % {"what": noun, "detail": message}
        )
    return as_sentence(message)
