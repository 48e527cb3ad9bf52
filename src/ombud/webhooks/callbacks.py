"""What a request's status change sends: the ``request.approved`` and ``request.completed``
events, and OpenDSR status callbacks to the URLs a forwarded request gave. Called from the
one place every status change passes through (``ombud.dsr.workflow.move``)."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from ombud import config
from ombud.config import Settings
from ombud.dsr.opendsr_status import STATUS_MAP, status_of
from ombud.errors import InvalidInput
from ombud.models.requests import PrivacyRequest
from ombud.models.requests import RequestStatus as S
from ombud.webhooks import opendsr, service
from ombud.webhooks.targets import check_url

log = logging.getLogger(__name__)

OPENDSR_EVENT = "opendsr.status"
EVENTS = {S.approved: "request.approved", S.completed: "request.completed"}


def request_status_changed(
    session: Session, request: PrivacyRequest, previous: str, *, settings: Settings | None = None
) -> None:
    """Queue the event and the callbacks a status change calls for."""
    settings = settings or config.get_settings()
    event = EVENTS.get(S(request.status))
    if event is not None:
        service.emit(
            session,
            event,
            {
                "request_id": request.id,
                "reference": request.external_id,
                "type": request.type,
                "status": request.status,
                "previous_status": previous,
                "source": request.source,
            },
            settings=settings,
        )
    opendsr_callbacks(session, settings, request, previous)


def opendsr_callbacks(
    session: Session, settings: Settings, request: PrivacyRequest, previous: str
) -> int:
    """Queue a signed callback to every URL of a request whose OpenDSR status changed."""
    urls = request.callback_urls or []
    if not urls or STATUS_MAP[S(previous)] == STATUS_MAP[S(request.status)]:
        return 0
    if not opendsr.enabled(settings):
        log.info("OpenDSR callbacks for request %s not sent: no signing key", request.id)
        return 0
    body = status_of(session, request).model_dump_json()
    queued = 0
    for url in urls:
        try:
            check_url(url)
        except InvalidInput:
            log.warning("OpenDSR callback URL of request %s is not http(s); skipped", request.id)
            continue
        service.queue_raw(
            session, settings, kind="opendsr", url=url, event=OPENDSR_EVENT, body=body
        )
        queued += 1
    return queued
