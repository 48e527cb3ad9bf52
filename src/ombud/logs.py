"""Keeping secrets and personal data out of logs: the access log's paths are redacted."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[redacted]"
# Query parameters that carry a secret or an identity (links in letters, codes, tokens).
SECRET_PARAMS = frozenset(
    {"t", "token", "code", "key", "secret", "password", "passphrase", "sig", "signature", "email"}
)
# Path segments after these prefixes are tokens or signed links.
TOKEN_PATHS = re.compile(r"(/privacy/(?:exports|receipts|unsubscribe|confirm)/)[^/?#]+")
EMAIL = re.compile(r"[^\s/?&=#@%]+(?:@|%40)[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
ACCESS_LOGGER = "uvicorn.access"


def redact(target: str) -> str:
    """``target`` (path and query) with tokens, codes and email addresses replaced."""
    path, sep, query = target.partition("?")
    path = EMAIL.sub(REDACTED, TOKEN_PATHS.sub(rf"\g<1>{REDACTED}", path))
    if not sep:
        return path
    pairs = [
        (k, REDACTED if k.lower() in SECRET_PARAMS else EMAIL.sub(REDACTED, v))
        for k, v in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{path}?{urlencode(pairs, safe='[]')}"


class AccessLogRedactor(logging.Filter):
    """Rewrites uvicorn's access records (``client, method, path, version, status``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the path argument; never drops a record."""
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def install_access_log_filter() -> None:
    """Add the redactor to uvicorn's access logger once (``ombud serve`` and tests)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, AccessLogRedactor) for f in logger.filters):
        logger.addFilter(AccessLogRedactor())


def safe_url(url: str) -> str:
    """``url`` with its password masked, for messages (Redis, brokers, databases)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port is not None else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


# PostgreSQL quotes row values in the DETAIL line ("Key (email)=(a@b.c) already exists");
# MySQL inline ("Duplicate entry 'a@b.c' for key", "Incorrect integer value: 'x'").
_MYSQL_VALUES = re.compile(r"(Duplicate entry |value: )'[^']*'")


def scrub_driver_message(text: str) -> str:
    """A database error message without the row values it quotes."""
    text = text.split("DETAIL:")[0].strip()
    return _MYSQL_VALUES.sub(r"\1'…'", text)
