"""Shared SQL building for drivers without array parameters (MySQL, SQLite): ``IN`` chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ombud.connectors.base import RowUpdate, chunks, group_updates

# (statement, parameters) pairs.
Statement = tuple[str, list[Any]]


def select_statements(
    quote: Callable[[str], str],
    mark: str,
    collection: str,
    where: Mapping[str, Sequence[Any]],
    columns: Sequence[str],
    size: int,
) -> Iterator[Statement]:
    """``SELECT ... WHERE f1 IN (...) OR f2 IN (...)``, the value lists cut into chunks.

    A row matching two fields in different chunks comes back twice; callers de-duplicate."""
    lists = {f: list(v) for f, v in where.items() if v}
    if not lists:
        return
    cols = ", ".join(quote(c) for c in columns)
    split = {f: list(chunks(v, size)) for f, v in lists.items()}
    rounds = max(len(parts) for parts in split.values())
    for i in range(rounds):
        clauses: list[str] = []
        params: list[Any] = []
        for f, parts in split.items():
            if i < len(parts):
                clauses.append(f"{quote(f)} IN ({', '.join([mark] * len(parts[i]))})")
                params.extend(parts[i])
        yield (f"SELECT {cols} FROM {quote(collection)} WHERE {' OR '.join(clauses)}", params)


def update_statements(
    quote: Callable[[str], str],
    mark: str,
    collection: str,
    key: str,
    rows: Sequence[RowUpdate],
    size: int,
) -> tuple[list[Statement], list[tuple[str, list[list[Any]]]]]:
    """(single statements, executemany batches) that apply ``rows``."""
    shared, single = group_updates(rows)
    table, qkey = quote(collection), quote(key)
    statements: list[Statement] = []
    for items, keys in shared.items():
        sets = ", ".join(f"{quote(c)} = {mark}" for c, _ in items)
        for part in chunks(keys, size):
            statements.append(
                (
                    f"UPDATE {table} SET {sets} WHERE {qkey} IN ({', '.join([mark] * len(part))})",
                    [v for _, v in items] + list(part),
                )
            )
    many: list[tuple[str, list[list[Any]]]] = []
    for cols, group in single.items():
        sets = ", ".join(f"{quote(c)} = {mark}" for c in cols)
        many.append(
            (
                f"UPDATE {table} SET {sets} WHERE {qkey} = {mark}",
                [[vals[c] for c in cols] + [k] for k, vals in group],
            )
        )
    return statements, many


def delete_statements(
    quote: Callable[[str], str],
    mark: str,
    collection: str,
    key: str,
    values: Sequence[Any],
    size: int,
) -> list[Statement]:
    """``DELETE ... WHERE key IN (...)`` per chunk."""
    return [
        (
            f"DELETE FROM {quote(collection)} WHERE {quote(key)} IN "
            f"({', '.join([mark] * len(part))})",
            list(part),
        )
        for part in chunks(list(values), size)
    ]
