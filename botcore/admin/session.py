"""Open the stores an admin command needs, and close them again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from botcore.config import Settings
from botcore.memory.base import ShortTermMemory
from botcore.memory.factory import open_long_term, open_short_term
from botcore.memory.stores import SqlTier


@dataclass(frozen=True, slots=True)
class AdminStores:
    """The SQL store and the short-term store (Redis, or in-process when not configured)."""

    sql: SqlTier
    short: ShortTermMemory


@asynccontextmanager
async def open_admin(settings: Settings) -> AsyncIterator[AdminStores]:
    """Both stores; a server database that is not migrated raises ConfigError (run `db upgrade`)."""
    sql = await open_long_term(settings)
    try:
        short = await open_short_term(settings)
        try:
            yield AdminStores(sql, short)
        finally:
            await short.aclose()
    finally:
        await sql.aclose()
