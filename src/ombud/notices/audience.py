"""Who hears about a material change when the data map says everyone affected does
(``organization.notifications.affected_people``): every email address in the collections of the
affected data subjects, read from their databases through the connectors in batches, minus the
people who opted out of statement updates or whose identity was erased (the consent ledger keeps
their hash)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session

from ombud.connectors.base import connector_for
from ombud.consent import ledger
from ombud.consent import service as consent
from ombud.datamap.graph import iter_fields
from ombud.datamap.schemas import DataMap

BATCH = 500
PURPOSE = "privacy_statement_updates"


def email_columns(datamap: DataMap) -> list[tuple[str, str, str]]:
    """(connection, table, column) of every email identity field in a dataset that serves a
    privacy declaration naming data subjects (the people a statement change can affect)."""
    served = {
        ref
        for s in datamap.system
        for d in s.privacy_declarations
        if d.data_subjects
        for ref in [*d.dataset_references, *(s.model_extra or {}).get("dataset_references", [])]
    }
    out = []
    for dataset in datamap.dataset:
        if dataset.connection is None or (served and dataset.fides_key not in served):
            continue
        for coll in dataset.collections:
            for name, field in iter_fields(coll.fields):
                meta = field.fides_meta
                if meta is not None and meta.identity == "email" and "." not in name:
                    out.append((dataset.connection, coll.name, name))
    return out


def addresses(datamap: DataMap, *, batch: int = BATCH) -> Iterator[list[str]]:
    """Batches of distinct, lower-cased addresses from every email column (keyset pages)."""
    for connection_name, table, column in email_columns(datamap):
        connection = datamap.get_connection(connection_name)
        if connection is None:
            continue
        with connector_for(connection) as db:
            col, tab = db.quote(column), db.quote(table)
            last = ""
            while True:
                sql = (
                    f"SELECT DISTINCT {col} FROM {tab} WHERE {col} IS NOT NULL AND {col} > "
                    f"{db.mark} ORDER BY {col} LIMIT {int(batch)}"
                )
                rows = db.rows(sql, [last], collection=table, doing="listing people to notify")
                if not rows:
                    break
                last = str(rows[-1][0])
                yield sorted({str(r[0]).strip().lower() for r in rows if "@" in str(r[0])})
                if len(rows) < batch:
                    break


def suppressed_hashes(session: Session, datamap: DataMap) -> set[str]:
    """Hashes of people who refused or withdrew statement updates (erased ones included)."""
    if not any(s.fides_key == PURPOSE for s in datamap.subscription):
        return set()
    return {h for _raw, h, _decision in consent.suppressed(session, purpose=PURPOSE)}


def affected(session: Session, datamap: DataMap) -> list[str]:
    """Every address to tell about a material change, suppressions removed, in order."""
    blocked = suppressed_hashes(session, datamap)
    found: set[str] = set()
    for page in addresses(datamap):
        for email in page:
            if ledger.email_subject(email).hash not in blocked:
                found.add(email)
    return sorted(found)
