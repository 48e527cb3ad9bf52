"""The staff console's routers (pages under ``/staff``)."""

from __future__ import annotations

from fastapi import APIRouter

from ombud.console import (
    account_pages,
    audit_pages,
    auth_pages,
    complaint_pages,
    dashboard,
    datamap_pages,
    new_request,
    people_pages,
    queue_pages,
    request_actions,
    request_pages,
    request_rights,
    retention_pages,
    statement_pages,
    team_pages,
)

routers: list[APIRouter] = [
    auth_pages.router,
    account_pages.router,
    dashboard.router,
    queue_pages.router,
    # Before the request page: /staff/requests/new is not a request id.
    new_request.router,
    request_pages.router,
    request_actions.router,
    request_rights.router,
    team_pages.router,
    audit_pages.router,
    people_pages.router,
    statement_pages.router,
    retention_pages.router,
    complaint_pages.router,
    datamap_pages.router,
]
