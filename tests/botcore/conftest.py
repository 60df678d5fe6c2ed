"""Runtime fixtures, parametrized over the embedded backends and the real services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from botcore.config import Settings, to_async_url
from botcore.memory.sql_engine import migrate
from botcore.runtime import Runtime, open_runtime
from tests.conftest import make_settings, run_blocking


@pytest.fixture(scope="session")
def pg_migrated(pg_url: str) -> str:
    """The session's Postgres database, migrated to head."""
    run_blocking(migrate(to_async_url(pg_url), "upgrade", "head"))
    return pg_url


@pytest.fixture(params=["embedded", "services"])
def bot_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for the instant model on SQLite + in-process, or on Postgres + Redis."""
    if request.param == "services":
        pg = request.getfixturevalue("pg_migrated")
        redis_url = request.getfixturevalue("redis_url")
        return make_settings(tmp_path, database_url=pg, redis_url=redis_url)
    return make_settings(tmp_path)


@pytest.fixture
async def runtime(bot_settings: Settings) -> AsyncIterator[Runtime]:
    """A whole bot runtime on ``bot_settings``."""
    async with open_runtime(bot_settings) as rt:
        yield rt
