"""The request form's problems as sentences in plain words, one next to each field."""

from __future__ import annotations

from typing import Any

COUNTRY_MISSING = (
    "Choose where you live: the law there decides your rights and how quickly we answer."
)
COUNTRY_UNKNOWN = (
    "Choose where you live from the list; if it is not there, choose “Another country”."
)
NOUNS = {
    "type": "the request type",
    "email": "your email address",
    "phone": "the phone number",
    "account_id": "the customer or account number",
    "details": "the details",
    "country": "where you live",
    "agent_name": "the agent's name",
    "agent_contact": "the agent's email or phone",
    "age_recipient": "the age public key",
    "passphrase": "the passphrase",
    "encryption": "the protection of your data package",
    "rectification": "the corrections",
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
    noun = NOUNS.get(name, "this field")
    given = error.get("input")
    if name == "type":
        return "Choose what you would like us to do from the list."
    if kind == "missing" or (name == "email" and not str(given or "").strip()):
        return as_sentence(f"please fill in {noun}")
    if kind == "string_too_long":
        most = (error.get("ctx") or {}).get("max_length")
        return as_sentence(f"{noun} is too long: use at most {most} characters")
    if message.startswith(("must ", "should ")):
        return as_sentence(f"{noun} {message}")
    if message.startswith("not a valid "):
        return as_sentence(f"this is {message}")
    return as_sentence(message)
