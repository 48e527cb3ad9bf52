"""The hooks execution calls on a request: started, completed (result kept, completion letter
sent, package encrypted as the person chose), failed, minimised after an erasure."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from ombud import config
from ombud.audit import service as audit
from ombud.config import Settings
from ombud.dsr import letters, outcome, repository, sealing, workflow
from ombud.errors import Conflict, Gone, NotFound
from ombud.execution import export_links, package
from ombud.models.requests import PrivacyRequest
from ombud.models.requests import RequestStatus as S

SUBJECT = "privacy_request"


def _locked(session: Session, request_id: str, *, lock: bool = True) -> PrivacyRequest:
    found = (
        repository.get_for_update(session, request_id)
        if lock
        else repository.get(session, request_id)
    )
    if found is None:
        raise NotFound(f"no privacy request with id {request_id}")
    return found


def start_execution(session: Session, request_id: str, *, actor: str) -> PrivacyRequest:
    """approved|failed -> in_progress."""
    request = _locked(session, request_id)
    return workflow.move(session, request, S.in_progress, actor=actor, action="start execution")


def complete_execution(
    session: Session, request_id: str, *, actor: str, result: dict[str, Any]
) -> PrivacyRequest:
    """in_progress -> completed; keep the result and send the completion letter."""
    request = _locked(session, request_id)
    workflow.check(request, S.completed, action="complete")
    # Through JSON once, so datetimes and other values the engine returns are storable.
    stored: dict[str, Any] = json.loads(json.dumps(result, default=str))
    # The person's link goes into their letter only: never kept, never shown to staff.
    secret = {"download_url": str(stored.pop("download_url"))} if "download_url" in stored else {}
    if request.package_encryption and stored.get("export_id"):
        stored.update(_encrypt_package(request, str(stored["export_id"])))
    if stored.get("export_id"):
        settings = config.get_settings()
        try:
            package.find(settings, str(stored["export_id"]), stored.get("package_name"))
        except Gone:
            # Never a letter that links to a file that does not exist: the run fails instead.
            raise Conflict(
                f"the access package of request {request_id} is missing; run it again"
            ) from None
        url, _ = export_links.sign(
            settings, export_id=str(stored["export_id"]), request_id=request.id
        )
        secret = {"download_url": url}
        if request.package_encryption == "passphrase":
            # The page that opens the package in the browser: the same one-time link.
            secret["unlock_url"] = f"{url}{outcome.UNLOCK_SUFFIX}"
    request.result = stored
    kept = [k for k in stored.get("kept", []) if isinstance(k, dict)]
    letters.send(
        session,
        request,
        "completion",
        actor=actor,
        secret=secret,
        kept=kept,
        download_expires_at=stored.get("download_expires_at"),
        package_encryption=stored.get("package_encryption"),
        package_file=stored.get("package_file"),
        **outcome.completion_context(session, request, stored),
    )
    # Only the shape of the result: it may hold personal data or export details.
    return workflow.move(
        session,
        request,
        S.completed,
        actor=actor,
        action="complete",
        data={"kept": len(kept), "result_keys": sorted(str(k) for k in result)},
    )


def minimise_after_erasure(session: Session, request_id: str, *, actor: str) -> PrivacyRequest:
    """After an erasure: keep what accountability needs (type, dates, the address the answer
    went to, the result's counts) and drop the other identities and the free text."""
    request = _locked(session, request_id)
    request.identities = {"email": request.email} if request.email else {}
    request.details = ""
    request.rectification = None
    audit.record(
        session,
        action="request.minimised",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=request.id,
        data={"kept": ["email", "type", "dates", "result"]},
    )
    return request


def package_keys(
    session: Session, request_id: str, *, settings: Settings | None = None
) -> tuple[str | None, str | None]:
    """The passphrase (unsealed) and age recipient the person chose for their package."""
    request = _locked(session, request_id, lock=False)
    return _package_keys(request, settings or config.get_settings())


def _package_keys(request: PrivacyRequest, settings: Settings) -> tuple[str | None, str | None]:
    if request.package_encryption != "passphrase":
        return None, request.package_recipient
    if not request.package_passphrase_sealed:
        raise Conflict(
            f"request {request.id} asked for a passphrase-encrypted package, but the "
            "passphrase is no longer kept; ask the person to make the request again"
        )
    passphrase = sealing.unseal(settings, request.package_passphrase_sealed, request_id=request.id)
    return passphrase, request.package_recipient


def _encrypt_package(request: PrivacyRequest, export_id: str) -> dict[str, Any]:
    """Encrypt the package as the person chose, unless the run already stored it encrypted;
    the sealed passphrase is wiped when the request moves to completed."""
    settings = config.get_settings()
    passphrase, recipient = _package_keys(request, settings)
    export = package.encrypt_stored(settings, export_id, passphrase=passphrase, recipient=recipient)
    return {
        "package_encryption": request.package_encryption,
        "package_file": export.path.name,
        "package_sha256": export.sha256,
    }


def fail_execution(session: Session, request_id: str, *, actor: str, error: str) -> PrivacyRequest:
    """in_progress -> failed (retriable)."""
    request = _locked(session, request_id)
    return workflow.move(
        session, request, S.failed, actor=actor, action="fail", data={"error": error[:2000]}
    )
