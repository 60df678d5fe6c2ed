"""Migration 0002 builds exactly the outbox models, and downgrades cleanly to 0001."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import botcore.admin.models as am
from botcore.memory.sql_engine import current_revision, head_revision, make_engine, migrate
from botcore.memory.sql_models import Base


async def _state(url: str) -> tuple[set[str], list[object], str | None]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    rev = await current_revision(engine)
    await engine.dispose()
    return tables, list(diff), rev


async def test_outbox_tables_match_the_models_and_round_trip(tmp_path: Path) -> None:
    assert am.Delivery.metadata is Base.metadata
    url = f"sqlite+aiosqlite:///{tmp_path / 'o.sqlite3'}"
    await migrate(url, "upgrade", "head")
    tables, diff, rev = await _state(url)
    assert {"broadcasts", "deliveries"} <= tables and diff == [] and rev == head_revision()
    await migrate(url, "downgrade", "0001")
    tables, _, rev = await _state(url)
    assert rev == "0001" and not {"broadcasts", "deliveries"} & tables and "users" in tables
    await migrate(url, "upgrade", "head")
    assert (await _state(url))[2] == head_revision()
