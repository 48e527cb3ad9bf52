"""The generated application database matches the demo dataset, keeps its foreign keys, and is
the same for the same seed on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, Integer, String, create_engine, func, inspect, select, text

from ombud.datamap.loader import load_datamap
from ombud.datamap.schemas_fides import Dataset
from ombud.demo.appdb import DATASET_KEY, TABLE_ORDER, TABLES, create_schema, metadata
from ombud.demo.generate import populate
from ombud.demo.setup import DATAMAP_SOURCE
from tests.demo.conftest import NOW, PEOPLE

AppDb = tuple[Engine, dict[str, int]]


def _dataset() -> Dataset:
    dataset = load_datamap(DATAMAP_SOURCE).get_dataset(DATASET_KEY)
    assert dataset is not None
    return dataset


def _rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        return {
            name: [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))]
            for name, table in TABLES.items()
        }


def _orphans(engine: Engine) -> dict[str, int]:
    """Rows whose foreign key points at no parent, per table.column."""
    found: dict[str, int] = {}
    with engine.connect() as conn:
        for table in TABLES.values():
            for fk in table.foreign_keys:
                child, parent = fk.parent, fk.column
                query = (
                    select(func.count())
                    .select_from(table.outerjoin(parent.table, child == parent))
                    .where(child.is_not(None), parent.is_(None))
                )
                found[f"{table.name}.{child.name}"] = conn.scalar(query) or 0
    return found


def test_collections_and_fields_are_exactly_the_tables_and_columns(demo_app_db: AppDb) -> None:
    engine, _counts = demo_app_db
    real = inspect(engine)
    dataset = _dataset()
    assert sorted(real.get_table_names()) == sorted(c.name for c in dataset.collections)
    for coll in dataset.collections:
        columns = {c["name"] for c in real.get_columns(coll.name)}
        assert {f.name for f in coll.fields} == columns, coll.name
        assert set(TABLES[coll.name].c.keys()) == columns


def test_primary_keys_types_and_lengths_match(demo_app_db: AppDb) -> None:
    engine, _counts = demo_app_db
    real = inspect(engine)
    for coll in _dataset().collections:
        table = TABLES[coll.name]
        keys = {f.name for f in coll.fields if f.fides_meta and f.fides_meta.primary_key}
        assert keys == set(real.get_pk_constraint(coll.name)["constrained_columns"]) == {"id"}
        for field in coll.fields:
            meta = field.fides_meta
            column = table.c[field.name]
            if meta is None or meta.data_type is None:
                continue
            if meta.data_type == "integer":
                assert isinstance(column.type, Integer), field.name
            if meta.data_type == "string":
                assert isinstance(column.type, String), field.name
                assert meta.length == column.type.length, f"{coll.name}.{field.name}"


def test_references_are_exactly_the_foreign_keys(demo_app_db: AppDb) -> None:
    engine, _counts = demo_app_db
    real = inspect(engine)
    declared: set[tuple[str, str, str]] = set()
    for coll in _dataset().collections:
        for field in coll.fields:
            for ref in (field.fides_meta.references if field.fides_meta else None) or []:
                assert ref.dataset == DATASET_KEY and ref.direction == "from"
                declared.add((coll.name, field.name, ref.field))
                assert field.fides_meta is not None and field.fides_meta.read_only
    actual = {
        (name, fk["constrained_columns"][0], f"{fk['referred_table']}.{fk['referred_columns'][0]}")
        for name in TABLE_ORDER
        for fk in real.get_foreign_keys(name)
    }
    assert declared == actual
    assert len(actual) == 7


def test_identity_and_reference_columns_are_indexed(demo_app_db: AppDb) -> None:
    engine, _counts = demo_app_db
    real = inspect(engine)
    for coll in _dataset().collections:
        indexed = {i["column_names"][0] for i in real.get_indexes(coll.name)}
        indexed |= {u["column_names"][0] for u in real.get_unique_constraints(coll.name)}
        for field in coll.fields:
            meta = field.fides_meta
            if meta and (meta.identity or meta.references):
                assert field.name in indexed, f"{coll.name}.{field.name}"


def test_foreign_keys_hold(demo_app_db: AppDb) -> None:
    engine, counts = demo_app_db
    assert set(counts) == set(TABLE_ORDER) and all(counts.values())
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
    assert set(_orphans(engine).values()) == {0}


def test_table_order_puts_parents_first() -> None:
    position = {name: i for i, name in enumerate(TABLE_ORDER)}
    assert set(TABLE_ORDER) == set(metadata.tables)
    for table in TABLES.values():
        for fk in table.foreign_keys:
            assert position[fk.column.table.name] < position[table.name]


def test_the_people_are_varied_like_real_customers(demo_app_db: AppDb) -> None:
    engine, counts = demo_app_db
    a, m = TABLES["accounts"], TABLES["marketing_contacts"]
    with engine.connect() as conn:
        accounts = conn.scalar(select(func.count()).select_from(a)) or 0
        only_marketing = conn.scalar(
            select(func.count()).select_from(m).where(m.c.email.not_in(select(a.c.email)))
        )
        both = conn.scalar(
            select(func.count()).select_from(m).where(m.c.email.in_(select(a.c.email)))
        )
        lone = conn.scalar(
            select(func.count())
            .select_from(a)
            .where(
                a.c.plan == "free",
                a.c.email.not_in(select(m.c.email)),
                a.c.id.not_in(select(TABLES["support_tickets"].c.account_id)),
                a.c.id.not_in(
                    select(TABLES["analytics_events"].c.account_id).where(
                        TABLES["analytics_events"].c.account_id.is_not(None)
                    )
                ),
            )
        )
        anonymous = conn.scalar(
            select(func.count()).where(TABLES["analytics_events"].c.account_id.is_(None))
        )
        countries = set(conn.scalars(select(a.c.country).distinct()))
        closed = conn.scalar(select(func.count()).where(a.c.closed_at.is_not(None)))
        logins = TABLES["login_events"].c.at
        old_logins = conn.scalar(select(func.count()).where(logins < NOW - timedelta(days=90)))
        new_logins = conn.scalar(select(func.count()).where(logins >= NOW - timedelta(days=90)))
        latest = conn.scalar(select(func.max(a.c.created_at)))
    assert 0.75 * PEOPLE < accounts < 0.95 * PEOPLE
    assert only_marketing and both and lone and anonymous and closed
    assert old_logins and new_logins
    assert {"DE", "GB", "US", "FR"} <= countries
    assert isinstance(latest, datetime) and latest <= NOW
    assert sum(counts.values()) > 20 * PEOPLE


def test_generator_is_deterministic_for_a_seed(demo_app_db: AppDb, tmp_path: Any) -> None:
    engine, counts = demo_app_db
    again = create_engine(f"sqlite:///{tmp_path / 'again.db'}")
    other = create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        create_schema(again)
        create_schema(other)
        assert populate(again, people=PEOPLE, seed=7, now=NOW) == counts
        populate(other, people=PEOPLE, seed=8, now=NOW)
        assert _rows(again) == _rows(engine)
        assert _rows(other)["accounts"] != _rows(engine)["accounts"]
    finally:
        again.dispose()
        other.dispose()


def _same_on(url: str, reference: AppDb) -> None:
    engine = create_engine(url)
    try:
        create_schema(engine)
        counts = populate(engine, people=PEOPLE, seed=7, now=NOW, batch_size=700)
        assert counts == reference[1]
        assert set(_orphans(engine).values()) == {0}
        assert _rows(engine) == _rows(reference[0])
        columns = {c["name"] for c in inspect(engine).get_columns("accounts")}
        assert columns == set(TABLES["accounts"].c.keys())
    finally:
        engine.dispose()


@pytest.mark.services
def test_populate_on_postgresql_gives_the_same_rows(postgres_url: str, demo_app_db: AppDb) -> None:
    _same_on(postgres_url, demo_app_db)


@pytest.mark.services
def test_populate_on_mariadb_gives_the_same_rows(mysql_url: str, demo_app_db: AppDb) -> None:
    _same_on(mysql_url, demo_app_db)
