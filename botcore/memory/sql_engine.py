"""Engine creation and schema migration for the SQL tier (Postgres or SQLite)."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets foreign keys, secure deletion and a busy timeout.

    Statement parameters (user text, ids) never appear in error messages or logs.
    """
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[-1].split("?", 1)[0])
        if "///" in url and str(path) not in ("", ":memory:"):
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Owner-only from the first byte (SQLite gives its -wal/-shm files the same mode).
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            # WAL: readers never block the writer; NORMAL sync is durable across app crashes.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            # /forget must not leave the erased text in free pages of the file.
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    return create_async_engine(url, **kwargs)


def alembic_config(url: str) -> Any:
    """An Alembic config pointing at botcore's migrations and ``url``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _run_alembic(action: str, url: str, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(url)
    if action == "upgrade":
        command.upgrade(cfg, revision)
    elif action == "downgrade":
        command.downgrade(cfg, revision)
    else:  # pragma: no cover - internal misuse
        raise ValueError(action)


async def migrate(url: str, action: str = "upgrade", revision: str = "head") -> None:
    """Run an Alembic upgrade/downgrade in a worker thread (Alembic's env runs its own loop)."""
    await asyncio.to_thread(_run_alembic, action, url, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The database's current Alembic revision (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync_conn: MigrationContext.configure(sync_conn).get_current_revision()
        )


def head_revision() -> str | None:
    """The newest revision in botcore's migrations."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()
