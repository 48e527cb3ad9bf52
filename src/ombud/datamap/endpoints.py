"""``/api/v1/datamap``: the current data map, its version history, and checking a draft."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ombud.datamap import service
from ombud.datamap.schemas import DataMapVersionList, DataMapVersionOut
from ombud.db import DbSession
from ombud.deps import OfficerStaff, ViewerStaff

router = APIRouter(prefix="/api/v1/datamap", tags=["datamap"])


class DataMapCheck(BaseModel):
    """A draft map to check: file name -> YAML text."""

    files: dict[str, str] = Field(min_length=1, description="{file name: YAML text}")


class DataMapCheckResult(BaseModel):
    valid: bool
    problems: list[str] = Field(description="'file:line:column: message' per problem")


@router.get("", response_model=DataMapVersionOut)
def current(session: DbSession, _staff: ViewerStaff) -> DataMapVersionOut:
    """The data map in force, with its normalised document."""
    return service.to_out(service.get_current_version(session), with_document=True)


@router.get("/versions", response_model=DataMapVersionList)
def versions(session: DbSession, _staff: ViewerStaff) -> DataMapVersionList:
    """Every applied version, newest first, without documents."""
    items = [service.to_out(v, with_document=False) for v in service.list_versions(session)]
    return DataMapVersionList(items=items)


@router.get("/versions/{number}", response_model=DataMapVersionOut)
def version(number: int, session: DbSession, _staff: ViewerStaff) -> DataMapVersionOut:
    """One applied version, with its document."""
    return service.to_out(service.get_version(session, number), with_document=True)


@router.post("/validate", response_model=DataMapCheckResult)
def validate(body: DataMapCheck, _staff: OfficerStaff) -> DataMapCheckResult:
    """Check a draft map without storing it."""
    problems = service.check(body.files)
    return DataMapCheckResult(valid=not problems, problems=[str(p) for p in problems])


routers = [router]
