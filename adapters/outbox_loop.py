"""The background loop that delivers the SQL outbox (``botctl broadcast``, escalation replies)
through an adapter: the same for every platform, with a platform-specific send function."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from botcore.admin.outbox import PendingDelivery, SendFunc, consume_outbox
from botcore.memory.stores import SqlAccess

log = logging.getLogger(__name__)

CLOSE_GRACE_S = 10.0


class OutboxLoop:
    """Runs :func:`~botcore.admin.outbox.consume_outbox` for an adapter's lifetime.

    :meth:`stop` lets a send in flight finish and starts no new one; :meth:`close` then ends the
    loop. Deliveries claimed but not yet sent when the loop ends are claimed again once their
    lease runs out (delivery is at least once).
    """

    def __init__(self, store: SqlAccess, platform: str, send: SendFunc, *,
                 poll_s: float = 2.0, rate_per_s: float | None = None) -> None:
        self.store = store
        self.platform = platform
        self.poll_s = poll_s
        self.rate_per_s = rate_per_s
        self._send = send
        self._stop = asyncio.Event()
        self._parked = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start consuming in the background (a second call does nothing)."""
        if self._task is not None and not self._task.done():
            return
        self._stop.clear()
        self._parked.clear()
        self._task = asyncio.create_task(
            consume_outbox(self.store, self.platform, self._guarded, stop=self._stop,
                           poll_s=self.poll_s, rate_per_s=self.rate_per_s),
            name=f"outbox-{self.platform}",
        )
        self._task.add_done_callback(self._finished)

    async def _guarded(self, d: PendingDelivery) -> None:
        if self._stop.is_set():  # stopping: leave it to the lease; close() cancels us here
            self._parked.set()
            await asyncio.Future()
        await self._send(d)

    def _finished(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox %s loop failed", self.platform, exc_info=task.exception())

    def stop(self) -> None:
        """Send nothing new from now on."""
        self._stop.set()

    async def close(self, grace_s: float = CLOSE_GRACE_S) -> None:
        """Stop, let a send in flight finish and be reported (up to ``grace_s``), end the loop."""
        self.stop()
        task, self._task = self._task, None
        if task is None:
            return
        if not task.done():  # wait until the loop ends by itself or parks before a new send,
            parked = asyncio.create_task(self._parked.wait())  # never cutting a report short
            await asyncio.wait([task, parked], timeout=grace_s,
                               return_when=asyncio.FIRST_COMPLETED)
            parked.cancel()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await parked
        with contextlib.suppress(asyncio.CancelledError):
            await task
        log.debug("outbox %s loop closed", self.platform)
