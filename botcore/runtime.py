"""The assembled bot: settings, memory, model executor and dialogue manager, opened and closed together.

Adapters receive a :class:`Runtime` from their factory and use ``runtime.manager`` for every turn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from botcore.config import Settings, ensure_data_dir
from botcore.dialogue.manager import DialogueManager
from botcore.inference.base import ModelExecutor
from botcore.memory.base import ShortTermMemory
from botcore.memory.factory import open_long_term, open_short_term
from botcore.memory.local_store import InProcessMemoryLock
from botcore.memory.stores import SqlTier

log = logging.getLogger(__name__)

JOB_STOP_S = 10.0
"""How long a shutdown waits for the scheduled jobs (the retention purge) after cancelling them."""


@dataclass(slots=True)
class Runtime:
    """Everything one bot process shares between its adapters."""

    settings: Settings
    short_term: ShortTermMemory
    long_term: SqlTier
    executor: ModelExecutor
    manager: DialogueManager


def open_executor(settings: Settings) -> ModelExecutor:
    """The model executor: Celery workers when a broker is set, else an in-process plugin."""
    if settings.broker_url:
        from botcore.inference.celery_client import CeleryExecutor

        return CeleryExecutor(settings)
    from botcore import plugins

    factory = plugins.load(plugins.EXECUTORS, settings.executor)
    executor: ModelExecutor = factory(settings)
    return executor


@asynccontextmanager
async def open_runtime(
    settings: Settings, *, executor: ModelExecutor | None = None, background: bool = False
) -> AsyncIterator[Runtime]:
    """Open memory and the executor, build the dialogue manager, and close it all on exit.

    ``background`` (long-running processes: ``botctl run``) also runs the scheduled jobs: the
    retention purge when ``BOTCORE_RETENTION_DAYS`` is set.
    """
    ensure_data_dir(settings.data_dir)
    long_term = await open_long_term(settings)
    short_term = await open_short_term(settings)
    own_executor = executor is None
    exe = executor if executor is not None else open_executor(settings)
    manager = DialogueManager(settings, short_term, long_term, exe)
    marker = None
    if not settings.redis_url:  # tell `botctl users forget` this process holds memory
        marker = InProcessMemoryLock(settings.data_dir)
        marker.acquire()
    jobs: list[asyncio.Task[None]] = []
    if background and settings.retention_days:
        from botcore.admin.retention import retention_loop

        jobs.append(asyncio.create_task(retention_loop(
            long_term, short_term, settings.retention_days, settings.retention_interval_s),
            name="retention"))
    try:
        yield Runtime(settings, short_term, long_term, exe, manager)
    finally:
        for job in jobs:
            job.cancel()
        if jobs:  # bounded: a job that ignores its cancellation must not hold the shutdown
            _, stuck = await asyncio.wait(jobs, timeout=JOB_STOP_S)
            for job in stuck:
                log.warning("background job %s did not stop within %.0f s", job.get_name(),
                            JOB_STOP_S)
        if marker is not None:
            marker.release()
        await manager.aclose()
        if own_executor:
            await exe.aclose()
        await short_term.aclose()
        await long_term.aclose()
