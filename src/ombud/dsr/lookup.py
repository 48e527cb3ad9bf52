"""Request ids as people type them: the whole id or its first characters, as git takes commits."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from ombud.dsr import repository
from ombud.errors import Conflict, InvalidInput, NotFound

SHORT = 8
_PREFIX = re.compile(r"[0-9a-f-]{4,36}")


def short_id(request_id: str) -> str:
    """The first characters of an id that lists show and every command accepts."""
    return request_id[:SHORT]


def resolve_id(session: Session, text: str) -> str:
    """The one request id that ``text`` is, or begins; a clear error when none or several match."""
    given = text.strip().lower()
    if not _PREFIX.fullmatch(given):
        raise InvalidInput(
            f"{text!r} is not a request id: give the id or at least its first 4 characters "
            "(0-9, a-f), as 'ombud requests list' shows them"
        )
    found = repository.ids_starting_with(session, given)
    if not found:
        raise NotFound(f"no privacy request with an id starting with {given}")
    if len(found) > 1:
        raise Conflict(
            f"{given} begins the ids of several requests ({', '.join(found)}, ...); "
            "give more characters"
        )
    return found[0]
