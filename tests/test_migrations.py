"""Alembic migrations create exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from ombud.migrations import alembic_config
from ombud.models import Base


def test_migrated_store_matches_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    summary = [(d[0], getattr(d[1], "name", d[1])) if isinstance(d, tuple) else d for d in diff]
    assert diff == [], f"models and migrations disagree: {summary}"


def test_every_branch_grows_from_foundation(store_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config(store_url))
    bases = script.get_bases()
    assert bases == ["0001_foundation"]
    for head in script.get_heads():
        lineage = [rev.revision for rev in script.iterate_revisions(head, "base")]
        assert lineage[-1] == "0001_foundation"
