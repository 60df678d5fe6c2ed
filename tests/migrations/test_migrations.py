"""Every migration upgrades and downgrades, on SQLite and on Postgres, and head matches the models."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from botcore.config import to_async_url
from botcore.memory.sql_engine import current_revision, head_revision, make_engine, migrate
from botcore.memory.sql_models import Base
from tests.conftest import PG_ADMIN, need


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names


async def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    await engine.dispose()
    return list(diff)


async def _round_trip(url: str) -> None:
    await migrate(url, "upgrade", "head")
    engine = make_engine(url)
    assert await current_revision(engine) == head_revision()
    await engine.dispose()
    assert {"users", "identities", "conversations", "messages", "facts", "faq_entries",
            "escalations", "model_versions", "audit_log"} <= await _tables(url)
    assert await _diff(url) == []  # the migrations build exactly what the models describe
    await migrate(url, "downgrade", "base")
    assert await _tables(url) <= {"alembic_version"}
    await migrate(url, "upgrade", "head")
    await migrate(url, "downgrade", "-1")
    await migrate(url, "upgrade", "+1")
    assert "messages" in await _tables(url)


async def test_sqlite_round_trip(tmp_path: Path) -> None:
    await _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}")


async def test_postgres_round_trip() -> None:
    need("PostgreSQL", 5432)
    name = f"botcore_mig_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(PG_ADMIN)
    await conn.execute(f'CREATE DATABASE "{name}"')
    try:
        await _round_trip(to_async_url(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"))
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def test_migrate_refuses_an_unknown_revision(tmp_path: Path) -> None:
    from alembic.util import CommandError

    with pytest.raises(CommandError):
        asyncio.run(migrate(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}", "upgrade", "nope"))
