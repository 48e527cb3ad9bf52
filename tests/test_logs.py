"""Nothing secret in logs: the access log is redacted, SQL parameters and passwords hidden."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ombud.errors import Unavailable
from ombud.logs import ACCESS_LOGGER, install_access_log_filter, redact, safe_url
from ombud.ratelimit import RedisLimiter


def test_redact_tokens_codes_and_emails() -> None:
    out = redact("/privacy/request/abc/verify?code=123456&lang=en")
    assert "123456" not in out and "lang=en" in out
    out = redact("/privacy/preferences?t=eyJzIjoiYUBiLmMifQ.sig")
    assert "eyJ" not in out
    assert "kim@example.com" not in redact("/x/kim@example.com/y?q=kim%40example.com")
    assert "ABCsecret" not in redact("/privacy/exports/ABCsecret.123")
    assert redact("/privacy/confirm/TOK/x") == "/privacy/confirm/[redacted]/x"
    assert redact("/api/v1/requests?status=verified") == "/api/v1/requests?status=verified"


def test_access_log_record_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    install_access_log_filter()
    install_access_log_filter()  # once only
    logger = logging.getLogger(ACCESS_LOGGER)
    assert len([f for f in logger.filters if type(f).__name__ == "AccessLogRedactor"]) == 1
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        # The arguments uvicorn's access logger passes.
        logger.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            "/privacy/request/r1/verify?code=987654&email=kim%40example.com",
            "1.1",
            200,
        )
    line = caplog.records[-1].getMessage()
    assert "987654" not in line and "kim" not in line
    assert "/privacy/request/r1/verify" in line


def test_uvicorn_path_with_query_is_redacted(caplog: pytest.LogCaptureFixture) -> None:
    """The path as uvicorn builds it for its access log is redacted."""
    from uvicorn.protocols.utils import get_path_with_query_string

    scope: Any = {
        "type": "http",
        "path": "/privacy/preferences",
        "raw_path": b"/privacy/preferences",  # newer uvicorn logs the path from this one
        "root_path": "",
        "query_string": b"t=SECRET-TOKEN",
    }
    install_access_log_filter()
    logger = logging.getLogger(ACCESS_LOGGER)
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        logger.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:1",
            "GET",
            get_path_with_query_string(scope),
            "1.1",
            200,
        )
    assert "SECRET-TOKEN" not in caplog.records[-1].getMessage()


def test_sql_parameters_hidden_in_errors(db_session: Session) -> None:
    with pytest.raises(SQLAlchemyError) as info:
        db_session.execute(
            text("INSERT INTO no_such_table (email) VALUES (:email)"),
            {"email": "kim.secret@example.com"},
        )
    db_session.rollback()
    assert "kim.secret@example.com" not in str(info.value)
    assert "hidden due to hide_parameters" in str(info.value)


def test_safe_url_masks_password() -> None:
    assert safe_url("redis://:hunter2@cache:6380/1") == "redis://:***@cache:6380/1"
    assert safe_url("redis://user:hunter2@[::1]/0") == "redis://user:***@[::1]/0"
    assert safe_url("redis://cache:6379/0") == "redis://cache:6379/0"


def test_redis_error_never_shows_password() -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    limiter = RedisLimiter("redis://:hunter2-pw@127.0.0.1:1/0")
    with pytest.raises(Unavailable) as info:
        limiter.hit("k", limit=5)
    assert "hunter2-pw" not in str(info.value)
    assert info.value.__cause__ is None and "127.0.0.1:1" in str(info.value)
    limiter.close()


def test_driver_messages_lose_the_values_they_quote() -> None:
    from ombud.logs import scrub_driver_message

    pg = (
        'duplicate key value violates unique constraint "customers_email_key" '
        "DETAIL: Key (email)=(kim@example.com) already exists."
    )
    assert scrub_driver_message(pg) == (
        'duplicate key value violates unique constraint "customers_email_key"'
    )
    my = "(1062, \"Duplicate entry 'kim@example.com' for key 'email'\")"
    assert "kim@" not in scrub_driver_message(my) and "for key 'email'" in scrub_driver_message(my)
