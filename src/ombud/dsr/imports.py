"""Many requests at once from a CSV file (staff console and ``ombud requests import``)."""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from ombud.dsr import staff_intake
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.errors import InvalidInput, OmbudError
from ombud.models.requests import PrivacyRequest
from ombud.notify import service as notify

COLUMNS = (
    "type",
    "email",
    "jurisdiction",
    "country",
    "region",
    "phone",
    "account_id",
    "language",
    "details",
    "verified_reason",
)
REQUIRED = ("type", "email")
MAX_ROWS = 1000
MAX_BYTES = 1_000_000


def _rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput(
            f"the CSV file needs the columns {', '.join(REQUIRED)} "
            f"(missing: {', '.join(missing)}); known columns: {', '.join(COLUMNS)}"
        )
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InvalidInput(
            f"unknown CSV column(s) {', '.join(unknown)}; known columns: {', '.join(COLUMNS)}"
        )
    rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"the CSV file has {len(rows)} rows; import at most {MAX_ROWS} at once")
    return rows


def _message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'row'}: {e['msg']}" for e in exc.errors()
    )


def import_csv(session: Session, data: bytes, *, actor: str) -> list[PrivacyRequest]:
    """Create one request per row, all or none: any bad row refuses the whole file and every
    problem is listed with its line number."""
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"the CSV file is larger than {MAX_BYTES:,} bytes; split it")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the CSV file is not UTF-8 text") from None
    rows = _rows(text)
    if not rows:
        raise InvalidInput("the CSV file has a header but no requests")
    parsed: list[tuple[int, PrivacyRequestCreate, str]] = []
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):
        fields: dict[str, Any] = {k: v for k, v in row.items() if v and k != "verified_reason"}
        try:
            parsed.append(
                (line, PrivacyRequestCreate.model_validate(fields), row.get("verified_reason", ""))
            )
        except ValidationError as exc:
            problems.append(f"line {line}: {_message(exc)}")
    if problems:
        raise InvalidInput(
            f"{len(problems)} of {len(rows)} rows are invalid; nothing was imported",
            detail=problems,
        )
    created: list[PrivacyRequest] = []
    # All or none: staff hear of the verified ones in one mail each once every row is in.
    with notify.gathered(session) as verified:
        for line, request, reason in parsed:
            try:
                created.append(
                    staff_intake.create(
                        session, data=request, actor=actor, verified_reason=reason, source="import"
                    )
                )
            except OmbudError as exc:
                raise InvalidInput(f"line {line}: {exc.message}; nothing was imported") from None
    notify.requests_verified(session, verified)
    return created
