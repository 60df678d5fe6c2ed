"""A background job that runs a step now and then at a fixed interval until it is cancelled."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


async def run_every(interval_s: float, step: Callable[[], Awaitable[object]], what: str) -> None:
    """Run ``step`` now and then every ``interval_s`` seconds, until this task is cancelled.

    A failing step is logged (one line) and the loop goes on. A cancellation that a client below
    the step swallowed (a database or Redis driver turning ``CancelledError`` into its own error)
    still ends the loop: ``Task.cancelling()`` keeps counting the request, and whoever cancelled
    this task (a shutdown) must not wait for it forever.
    """
    me = asyncio.current_task()
    while me is None or not me.cancelling():
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failed round must not stop later rounds
            log.error("%s failed: %s", what, exc)
        if me is not None and me.cancelling():
            break
        await asyncio.sleep(interval_s)
