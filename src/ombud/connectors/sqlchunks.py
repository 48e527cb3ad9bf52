"""Shared SQL building for drivers without array parameters (MySQL, SQLite): ``IN`` chunks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from ombud.connectors.base import Ended, Rewrite, assignments, chunks

# (statement, parameters) pairs.
Statement = tuple[str, list[Any]]


def select_statements(
    quote: Callable[[str], str],
    mark: str,
    collection: str,
    where: Mapping[str, Sequence[Any]],
    columns: Sequence[str],
    size: int,
    ended: tuple[Callable[[str], str], Callable[[Any], Any], Ended] | None = None,
) -> Iterator[Statement]:
    """``SELECT ... WHERE f1 IN (...) OR f2 IN (...)``, the value lists cut into chunks.

    ``ended`` is (SQL test of a quoted column, cutoff parameter, computed columns): each
    computed column is appended to the select list. A row matching two fields in different
    chunks comes back twice; callers de-duplicate."""
    lists = {f: list(v) for f, v in where.items() if v}
    if not lists:
        return
    exprs = [quote(c) for c in columns]
    head: list[Any] = []
    if ended is not None:
        test, param, computed = ended
        for column, cutoff in computed.values():
            exprs.append(test(quote(column)))
            head.append(param(cutoff))
    cols = ", ".join(exprs)
    split = {f: list(chunks(v, size)) for f, v in lists.items()}
    rounds = max(len(parts) for parts in split.values())
    for i in range(rounds):
        clauses: list[str] = []
        params: list[Any] = list(head)
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
    rewrite: Rewrite,
    size: int,
) -> tuple[list[Statement], list[tuple[str, list[list[Any]]]]]:
    """(single statements, executemany batches) that apply ``rewrite``.

    Without per-row values every chunk of keys is one ``UPDATE ... IN``; with them each row
    gets its own parameters (one statement, so every row is written once)."""
    table, qkey = quote(collection), quote(key)
    sets, params = assignments(quote, mark, rewrite, [mark] * len(rewrite.columns))
    if not rewrite.columns:
        return [
            (
                f"UPDATE {table} SET {sets} WHERE {qkey} IN ({', '.join([mark] * len(part))})",
                params + list(part),
            )
            for part in chunks(list(rewrite.keys), size)
        ], []
    rows = [[*params, *values, k] for k, values in zip(rewrite.keys, rewrite.values, strict=True)]
    return [], [(f"UPDATE {table} SET {sets} WHERE {qkey} = {mark}", rows)]


def count_statements(
    quote: Callable[[str], str],
    mark: str,
    collection: str,
    field: str,
    values: Sequence[Any],
    size: int,
) -> list[Statement]:
    """``SELECT field, COUNT(*) ... WHERE field IN (...) GROUP BY field`` per chunk.

    Two values the collation makes equal can sit in different chunks and count the same rows
    twice: callers keep the largest count of a stored value, not the sum."""
    f = quote(field)
    return [
        (
            f"SELECT {f}, COUNT(*) FROM {quote(collection)} "
            f"WHERE {f} IN ({', '.join([mark] * len(part))}) GROUP BY {f}",
            list(part),
        )
        for part in chunks(list(values), size)
    ]


def merge_counts(pairs: Iterable[Sequence[Any]]) -> dict[Any, int]:
    """(stored value, count) pairs of several chunks as one mapping (largest count wins)."""
    out: dict[Any, int] = {}
    for value, n in pairs:
        out[value] = max(out.get(value, 0), int(n))
    return out


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
