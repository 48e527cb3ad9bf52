"""A lean path for ``POST /api/v1/consent/decisions``, the busiest staff API call.

Through FastAPI a single decision spends several times more CPU in routing, dependency
injection, exception middleware and response validation than in recording it. This pure ASGI
middleware sits inside Ombud's own middlewares (security headers, language, input guard: their
effects stay) and answers the common case itself: a bearer token checked recently (the token
cache), a role that may record, and a JSON body that ``DecisionCreate`` accepts. Anything else
(no or unknown token, wrong role, another content type, a body the model refuses, a body the
input guard refuses) goes on to the FastAPI route with the body replayed, so every error is
the route's own. The route stays the one in the OpenAPI schema. See docs/consent.md."""

from __future__ import annotations

from collections import deque
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ombud.config import Settings
from ombud.consent import service
from ombud.consent.batcher import batcher_of
from ombud.consent.ledger import Entry
from ombud.consent.purposes import MapInfo
from ombud.consent.schemas import Decision, DecisionCreate
from ombud.errors import OmbudError
from ombud.models.staff import ApiToken, Role
from ombud.staff import service as staff_service

PATH = "/api/v1/consent/decisions"
_JSON_HEADERS = [(b"content-type", b"application/json")]


def actor_of(token: ApiToken) -> str:
    """How the ledger names a staff token that recorded a decision."""
    return f"token:{token.name}:{token.user_id}"


async def record_one(
    app: Any, body: DecisionCreate, token: ApiToken, *, release: Session | None = None
) -> Decision:
    """Record one decision through the app's batcher; the staff view once committed."""
    settings: Settings = app.state.settings
    actor = actor_of(token)

    def prepare(session: Session, info: MapInfo) -> list[Entry]:
        return service.decision_entries(session, [body], actor=actor, settings=settings, info=info)

    recs = await batcher_of(app).submit(prepare, release=release)
    return service.to_decision(recs[0])


class DecisionFastPath:
    """Answer well-formed single decisions of cached tokens; pass everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Take the request if it is a single decision, else hand it on untouched."""
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        token, json_body = _token_and_json(scope)
        if token is None or not json_body:
            await self.app(scope, receive, send)
            return
        messages: deque[Message] = deque()
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request":  # the client left: the route sees it
                    await self.app(scope, _replay(messages, receive), send)
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except Exception as exc:  # refused while read (a NUL byte): where the route reads
            await self.app(scope, _replay(messages, receive, exc), send)
            return
        try:
            body = DecisionCreate.model_validate_json(b"".join(chunks))
        except ValidationError:  # the route says what is wrong and where
            await self.app(scope, _replay(messages, receive), send)
            return
        app = scope["app"]
        try:
            decision = await record_one(app, body, token)
        except Exception as exc:
            handler = _handler(app, exc)
            if handler is None:
                raise
            response = await handler(Request(scope, receive), exc)
            await response(scope, receive, send)
            return
        content = Decision.__pydantic_serializer__.to_json(decision, by_alias=True)
        headers = [(b"content-length", str(len(content)).encode()), *_JSON_HEADERS]
        await send({"type": "http.response.start", "status": 201, "headers": headers})
        await send({"type": "http.response.body", "body": content})


def _token_and_json(scope: Scope) -> tuple[ApiToken | None, bool]:
    """The cached token if it may record decisions, and whether the body is declared JSON."""
    authorization = content_type = None
    for name, value in scope["headers"]:
        if name == b"authorization" and authorization is None:
            authorization = value
        elif name == b"content-type" and content_type is None:
            content_type = value
    json_body = (
        content_type is not None
        and content_type.split(b";", 1)[0].strip().lower() == b"application/json"
    )
    settings: Settings = scope["app"].state.settings
    if authorization is None or settings.token_cache_seconds <= 0:
        return None, json_body
    scheme, _, secret = authorization.decode("latin-1").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return None, json_body
    token = staff_service.cached_token(secret, settings.token_cache_seconds)
    if token is None:
        return None, json_body
    try:
        staff_service.require_role(token, Role.privacy_officer)
    except OmbudError:
        return None, json_body
    return token, json_body


def _replay(messages: deque[Message], receive: Receive, error: Exception | None = None) -> Receive:
    """A ``receive`` that gives the messages read already, then raises ``error`` or reads on."""

    async def replayed() -> Message:
        if messages:
            return messages.popleft()
        if error is not None:
            raise error
        return await receive()

    return replayed


def _handler(app: Any, exc: Exception) -> Any:
    """The app's handler for ``exc`` as Starlette's exception middleware finds it; None for
    the catch-all ``Exception`` (the server error middleware's, as on the route)."""
    handlers: dict[Any, Any] = app.exception_handlers
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            return handlers[cls]
    return None
