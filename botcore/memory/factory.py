"""Open the configured memory backends."""

from __future__ import annotations

import logging

from botcore.config import Settings
from botcore.errors import ConfigError
from botcore.memory.base import ShortTermMemory
from botcore.memory.local_store import LocalShortTermMemory
from botcore.memory.sql_engine import current_revision, head_revision, make_engine, migrate
from botcore.memory.sql_store import SqlMemory

log = logging.getLogger(__name__)


async def open_short_term(settings: Settings) -> ShortTermMemory:
    """Redis when ``BOTCORE_REDIS_URL`` is set, else in-process dicts."""
    max_turns = max(50, settings.recent_turns * 2)
    if settings.redis_url:
        from botcore.memory.redis_store import RedisShortTermMemory

        return RedisShortTermMemory.from_url(
            settings.redis_url, max_turns=max_turns, ttl_s=settings.short_term_ttl_s
        )
    return LocalShortTermMemory(max_turns=max_turns, ttl_s=settings.short_term_ttl_s)


async def open_long_term(settings: Settings, *, auto_migrate: bool | None = None) -> SqlMemory:
    """The SQL store. The embedded SQLite database is migrated automatically; a server database
    must be migrated with ``botctl db upgrade`` (the compose ``migrate`` job) and is checked.
    """
    url = settings.sql_url
    sqlite = url.startswith("sqlite")
    if auto_migrate is None:
        auto_migrate = sqlite
    engine = make_engine(url)
    store = SqlMemory(engine)
    current = await current_revision(engine)
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
