"""Real brokers for worker tests: Redis and RabbitMQ, with a queue and key prefix of their own
per test (other runs share the servers)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ombud.config import Settings
from ombud.db import make_engine
from tests.fixtures.api import make_settings
from tests.fixtures.services import unavailable
from tests.fixtures.smtp import SmtpServer

# Not database 15: other tests flush it while they run.
REDIS_BROKER = os.environ.get("OMBUD_TEST_REDIS_BROKER", "redis://127.0.0.1:6379/13")
AMQP_BROKER = os.environ.get("OMBUD_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672//")


@dataclass
class Broker:
    """A reachable broker and the names this test uses on it."""

    kind: str
    url: str
    queue: str
    prefix: str

    def env(self) -> dict[str, str]:
        """OMBUD_* variables that point a process at this broker."""
        return {
            "OMBUD_BROKER_URL": self.url,
            "OMBUD_BROKER_QUEUE": self.queue,
            "OMBUD_REDIS_PREFIX": self.prefix,
        }


def _reach_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        unavailable("Redis at " + url, exc)
    finally:
        client.close()


def _reach_amqp(url: str) -> None:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # kombu wraps socket errors in its own types
        unavailable("RabbitMQ at " + url.split("@")[-1], exc)


def _cleanup(broker: Broker) -> None:
    if broker.kind == "redis":
        import redis

        client = redis.Redis.from_url(broker.url)
        for key in client.scan_iter(match=f"{broker.prefix}*"):
            client.delete(key)
        client.close()
        return
    from kombu import Connection

    with Connection(broker.url, connect_timeout=3) as conn:
        channel = conn.channel()
        channel.queue_delete(broker.queue)
        channel.exchange_delete(broker.queue)
        channel.close()


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    """Redis, then RabbitMQ: a queue and Redis key prefix unique to this test."""
    tag = uuid.uuid4().hex[:10]
    if request.param == "redis":
        _reach_redis(REDIS_BROKER)
        found = Broker("redis", REDIS_BROKER, f"ombud-test-{tag}", f"ombud-test-{tag}:")
    else:
        _reach_amqp(AMQP_BROKER)
        found = Broker("rabbitmq", AMQP_BROKER, f"ombud-test-{tag}", f"ombud-test-{tag}:")
    yield found
    _cleanup(found)


@pytest.fixture
def store(
    committed_store_url: str,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Settings, Engine]]:
    """Settings on a committed store and the test SMTP server, plus the store's engine."""
    settings = make_settings(committed_store_url, tmp_path, smtp_server)
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    engine = make_engine(committed_store_url)
    yield settings, engine
    engine.dispose()
