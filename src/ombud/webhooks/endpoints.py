"""``/api/v1/webhooks``: admins register, list and remove receivers; staff see deliveries."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from ombud.db import DbSession
from ombud.deps import AdminStaff, IdPath, ViewerStaff
from ombud.webhooks import schemas, service

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])


@router.post("", status_code=201, response_model=schemas.EndpointCreated)
def add_endpoint(
    body: schemas.EndpointCreate, session: DbSession, token: AdminStaff
) -> schemas.EndpointCreated:
    """Register a receiver; the response holds its secret, shown only this once."""
    row, secret = service.add_endpoint(
        session,
        url=body.url,
        events=body.events,
        description=body.description,
        actor=token.user.email,
        secret=body.secret,
    )
    return schemas.EndpointCreated(
        **schemas.Endpoint.model_validate(row).model_dump(), secret=secret
    )


@router.get("", response_model=list[schemas.Endpoint])
def list_endpoints(session: DbSession, _token: AdminStaff) -> list[schemas.Endpoint]:
    """Registered receivers (never their secrets)."""
    return [schemas.Endpoint.model_validate(e) for e in service.endpoints(session)]


@router.delete("/{endpoint_id}", status_code=204, response_class=Response)
def remove_endpoint(endpoint_id: IdPath, session: DbSession, token: AdminStaff) -> Response:
    """Remove a receiver; what is still queued for it is marked failed."""
    service.remove_endpoint(session, endpoint_id, actor=token.user.email)
    return Response(status_code=204)


@router.get("/deliveries", response_model=list[schemas.Delivery])
def list_deliveries(
    session: DbSession,
    _token: ViewerStaff,
    status: Annotated[Literal["pending", "sending", "delivered", "failed"] | None, Query()] = None,
) -> list[schemas.Delivery]:
    """Recent deliveries, newest first; ``?status=failed`` shows the ones given up on."""
    return [schemas.Delivery.model_validate(d) for d in service.deliveries(session, status=status)]


routers = [router]
