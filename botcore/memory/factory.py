"""Open the configured memory backends."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from botcore.config import Settings, ensure_data_dir
from botcore.errors import BotcoreError, ConfigError
from botcore.memory.base import ShortTermMemory
from botcore.memory.local_store import LocalShortTermMemory
from botcore.memory.sql_engine import current_revision, head_revision, make_engine, migrate
from botcore.memory.sql_store import SqlMemory
from botcore.redact import mask_url

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 30.0
"""How long opening the database may take before it counts as unreachable."""


async def open_short_term(settings: Settings) -> ShortTermMemory:
    """Redis when ``BOTCORE_REDIS_URL`` is set, else in-process dicts."""
    max_turns = max(50, settings.recent_turns * 2)
    if settings.redis_url:
        from botcore.memory.redis_store import RedisShortTermMemory

        return RedisShortTermMemory.from_url(
            settings.redis_url, max_turns=max_turns, ttl_s=settings.short_term_ttl_s
        )
    return LocalShortTermMemory(max_turns=max_turns, ttl_s=settings.short_term_ttl_s)


def _variable(settings: Settings) -> str:
    return "BOTCORE_DATABASE_URL" if settings.database_url else "BOTCORE_DATA_DIR"


def _engine(settings: Settings) -> AsyncEngine:
    url = settings.sql_url
    if not settings.database_url:
        ensure_data_dir(settings.data_dir)
    try:
        return make_engine(url)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{_variable(settings)}: cannot open the database {mask_url(url)}: "
                          f"{exc}") from None


async def _revision(settings: Settings, engine: AsyncEngine) -> str | None:
    """The current revision; an unreachable database is a :class:`ConfigError` naming the
    variable (one line for the operator instead of a driver traceback)."""
    try:
        return await asyncio.wait_for(current_revision(engine), CONNECT_TIMEOUT_S)
    except BotcoreError:
        raise
    except Exception as exc:  # any driver error: refused, DNS, password, missing database
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        raise ConfigError(f"{_variable(settings)}: cannot reach the database "
                          f"{mask_url(settings.database_url or settings.sql_url)}: {type(exc).__name__}"
                          f"{': ' + reason if reason else ''}") from None


async def database_revision(settings: Settings) -> str | None:
    """The database's current Alembic revision (a reachability check for ``botctl db``)."""
    engine = _engine(settings)
    try:
        return await _revision(settings, engine)
    finally:
        await engine.dispose()


async def open_long_term(settings: Settings, *, auto_migrate: bool | None = None) -> SqlMemory:
    """The SQL store. The embedded SQLite database is migrated automatically; a server database
    must be migrated with ``botctl db upgrade`` (the compose ``migrate`` job) and is checked.
    """
    url = settings.sql_url
    sqlite = url.startswith("sqlite")
    if auto_migrate is None:
        auto_migrate = sqlite
    store = SqlMemory(_engine(settings))
    try:
        current = await _revision(settings, store.engine)
    except BaseException:
        await store.aclose()
        raise
    head = head_revision()
    if current != head:
        if auto_migrate:
            log.info("migrating the database from %s to %s", current, head)
            await migrate(url, "upgrade", "head")
        else:
            await store.aclose()
            raise ConfigError(
                f"the database is at revision {current or 'empty'}, the code needs {head}: "
                "run `botctl db upgrade`"
            )
    return store
