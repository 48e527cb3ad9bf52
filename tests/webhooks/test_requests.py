"""A request's status changes reach receivers: Ombud's events, and OpenDSR callbacks signed
with the processor's RSA key."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ombud.app import create_app
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.dsr import service as dsr_service
from ombud.models.requests import PrivacyRequest
from ombud.webhooks import opendsr, service, signing
from tests.webhooks.receiver import Receiver


def _key_file(folder: Path) -> tuple[Path, rsa.RSAPublicKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = folder / "opendsr.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path, key.public_key()


def _verifies(public: rsa.RSAPublicKey, signature: str, body: bytes) -> bool:
    try:
        public.verify(base64.b64decode(signature), body, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def test_request_events_and_signed_opendsr_callbacks(
    hooks_store: tuple[Settings, Engine],
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, engine = hooks_store
    key_path, public = _key_file(tmp_path)
    settings = base.model_copy(
        update={
            "opendsr_signing_key": key_path,
            "opendsr_certificate_url": "https://testserver/opendsr.pem",
        }
    )
    with TestClient(create_app(settings)) as client:
        discovery = client.get("/opendsr/discovery").json()
    assert discovery["supported_status_callback"] is True
    assert discovery["processor_certificate"] == "https://testserver/opendsr.pem"

    external = str(uuid.uuid4())
    with unit_of_work(engine) as session:
        _endpoint, secret = service.add_endpoint(
            session,
            url=receiver.url,
            events=["request.approved", "request.completed"],
            description="",
            actor="t",
        )
        now = utcnow()
        row = PrivacyRequest(
            type="access",
            status="verified",
            jurisdiction="gdpr",
            email="person@example.test",
            identities={"email": "person@example.test"},
            received_at=now,
            received_on=now.date(),
            source="opendsr",
            external_id=external,
            callback_urls=[f"{receiver.url}/opendsr"],
        )
        session.add(row)
        session.flush()
        rid = row.id
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    for step in ("approve", "start", "complete"):
        with unit_of_work(engine) as session:
            if step == "approve":
                dsr_service.approve(session, rid, actor="officer@staff.test")
            elif step == "start":
                dsr_service.start_execution(session, rid, actor="system:execution")
            else:
                dsr_service.complete_execution(
                    session, rid, actor="system:execution", result={"collections": {}}
                )
    got = receiver.wait(4)
    events = [r for r in got if r.path == "/hook"]
    callbacks = [r for r in got if r.path == "/hook/opendsr"]
    # Each commit's deliveries leave on their own, so two may arrive in either order.
    assert sorted(r.headers["Ombud-Event"] for r in events) == [
        "request.approved",
        "request.completed",
    ]
    stamp = int(utcnow().timestamp())
    for r in events:
        assert signing.verify(secret, r.headers[signing.HEADER], r.body, now=stamp)
        data = json.loads(r.body)["data"]
        assert data["request_id"] == rid and data["reference"] == external
        assert "person@example.test" not in r.body.decode()
    # pending -> in_progress -> completed: approval keeps the OpenDSR status "pending".
    statuses = [json.loads(r.body)["request_status"] for r in callbacks]
    assert sorted(statuses) == ["completed", "in_progress"]
    for r in callbacks:
        assert r.headers[opendsr.DOMAIN] == "testserver"
        assert _verifies(public, r.headers[opendsr.SIGNATURE], r.body)
        assert not _verifies(public, r.headers[opendsr.SIGNATURE], r.body + b"x")
        assert json.loads(r.body)["subject_request_id"] == external
