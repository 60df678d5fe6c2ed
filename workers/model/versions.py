"""Model versions: trained checkpoints registered in SQL (``model_versions``), one active.

SQL (through :class:`botcore.memory.stores.AdminStore`) is the source of truth, so every worker
on every machine sees the same active version. When a worker cannot open the database to read the
active version, a JSON file in the data dir (``models/versions.json``) is read instead, with a
warning (usually absent: the shipped default). Writes (register, activate) need the database.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from botcore.config import Settings
from botcore.errors import StorageError
from botcore.memory.base import ModelVersionRef, ModelVersionRow
from botcore.memory.stores import AdminStore, LongTermMemory

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_VERSION = "default"


class JsonVersions:
    """The fallback registry, read only: a JSON list of versions in
    ``data_dir/models/versions.json``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "models" / "versions.json"

    def _read(self) -> list[ModelVersionRow]:
        if not self.path.is_file():
            return []
        rows: list[ModelVersionRow] = json.loads(self.path.read_text(encoding="utf-8"))
        return rows

    async def active_model_version(self) -> ModelVersionRef | None:
        """The version marked active in the file, or None."""
        return next((r for r in self._read() if r.get("active")), None)


async def _with_store(settings: Settings, call: Callable[[AdminStore], Awaitable[T]],
                      fallback: Callable[[JsonVersions], Awaitable[T]] | None) -> T:
    from botcore.memory.factory import open_long_term

    try:
        store: LongTermMemory = await open_long_term(settings)
    except Exception as exc:  # unreachable, unmigrated or misconfigured database
        if fallback is None:
            raise StorageError(f"model versions: cannot open the database: {exc}") from exc
        log.warning("model versions: SQL unavailable (%s); reading %s", exc,
                    JsonVersions(settings.data_dir).path)
        return await fallback(JsonVersions(settings.data_dir))
    try:
        return await call(store)
    except Exception as exc:  # SQLAlchemy errors: wrap at the seam
        raise StorageError(f"model versions: {exc}") from exc
    finally:
        await store.aclose()


def run_sync(settings: Settings, call: Callable[[AdminStore], Awaitable[T]],
             fallback: Callable[[JsonVersions], Awaitable[T]] | None = None) -> T:
    """Run a registry call from synchronous code (in its own thread and event loop).

    With ``fallback``, an unavailable database is replaced by the JSON registry (reads only:
    a worker keeps its heads); otherwise it raises :class:`StorageError`.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run,  # type: ignore[arg-type]
                           _with_store(settings, call, fallback)).result()


def register(settings: Settings, name: str, path: Path, metrics: Mapping[str, Any]) -> int:
    """Record a trained version (inactive)."""
    return run_sync(settings, lambda s: s.register_model_version(name, str(path.resolve()),
                                                                 metrics))


def list_versions(settings: Settings) -> list[ModelVersionRow]:
    """All versions, newest first."""
    return run_sync(settings, lambda s: s.list_model_versions())


def activate(settings: Settings, name: str) -> bool:
    """Make ``name`` active; False when no such version exists."""
    return run_sync(settings, lambda s: s.activate_model_version(name))


def active(settings: Settings) -> ModelVersionRef | None:
    """The active version (``{"name", "path", "metrics"}``), or None for the shipped default."""
    return run_sync(settings, lambda s: s.active_model_version(),
                    fallback=lambda j: j.active_model_version())
