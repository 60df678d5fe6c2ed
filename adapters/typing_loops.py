"""Typing indicators: one loop per chat while any turn there is pending, never one per turn.

A burst of messages in one chat (or one DM channel) shares a single loop, so the platform sees
one typing call per ``every_s`` per chat however many turns wait there. ``restart_gap_s`` is the
least gap kept across loops: with ``restart_gap_s == every_s`` (Discord) a loop that starts right
after another one in the same chat waits out the rest of the interval before its first call, so a
chat never gets two typing calls closer than ``every_s``; with 0 (Telegram, where our answer
clears the indicator and the chat's next turn should show it again) a new loop calls at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K")
Send = Callable[[], Awaitable[None]]
"""One typing call for a chat. Raising :class:`StopTyping` ends that chat's loop."""


class StopTyping(Exception):
    """Raised by a send function when typing in that chat is pointless (the user left)."""


@dataclass(slots=True)
class _Loop:
    task: asyncio.Task[None] | None = None
    pending: int = 0
    sending: bool = False
    stop: asyncio.Event = field(default_factory=asyncio.Event)


class TypingLoops(Generic[K]):
    """Per-chat typing loops shared by all turns pending in that chat.

    Args:
        every_s: seconds between two typing calls of one loop.
        restart_gap_s: least seconds between the last call of a chat's previous loop and the
            first call of its next one (default: ``every_s``).
        clock: a monotonic clock (seconds).
    """

    def __init__(self, every_s: float, *, restart_gap_s: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.every_s = every_s
        self.restart_gap_s = every_s if restart_gap_s is None else restart_gap_s
        self._clock = clock
        self._loops: dict[K, _Loop] = {}
        self._last: dict[K, float] = {}
        self.calls = 0
        """Typing calls made (for tests, benchmarks and logs)."""

    @property
    def active(self) -> int:
        """Chats with a typing loop running."""
        return len(self._loops)

    @contextlib.asynccontextmanager
    async def pending(self, key: K, send: Send) -> AsyncIterator[None]:
        """Keep "typing…" visible in chat ``key`` while the body (one turn) runs.

        The first turn of a chat starts its loop (with ``send``); later ones join it. When the
        last one leaves, the loop stops; a typing call already on its way is let finish, so the
        chat never shows "typing…" after the answer that follows.
        """
        loop = self._loops.get(key)
        if loop is None:
            loop = self._loops[key] = _Loop()
            loop.task = asyncio.create_task(self._run(key, loop, send), name=f"typing-{key}")
        loop.pending += 1
        try:
            yield
        finally:
            loop.pending -= 1
            if loop.pending == 0:
                await self._stop(key, loop)

    async def _stop(self, key: K, loop: _Loop) -> None:
        if self._loops.get(key) is loop:
            del self._loops[key]
        loop.stop.set()
        task = loop.task
        if task is None:
            return
        if not loop.sending:
            task.cancel()
        await asyncio.wait({task})  # a cancellation of the caller still propagates
        if not task.cancelled() and task.exception() is not None:
            log.debug("typing loop failed: %s", task.exception())

    async def _run(self, key: K, loop: _Loop, send: Send) -> None:
        gap = self.restart_gap_s
        while not loop.stop.is_set():
            wait = self._last.get(key, float("-inf")) + gap - self._clock()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(loop.stop.wait(), wait)
                continue
            loop.sending = True
            self.calls += 1
            try:
                await send()
            except StopTyping:
                return
            except Exception as exc:  # cosmetic: a refused typing call never fails a turn
                log.debug("typing call failed: %s", exc)
            finally:
                loop.sending = False
                # counted from the call's end: a call that waited behind the chat's other
                # requests (a rate limiter's queue) still leaves the full gap to the next
                self._last[key] = self._clock()
            gap = self.every_s
            self._forget_old()

    def _forget_old(self) -> None:
        """Drop gaps that no longer matter (keeps the table as small as the busy chats)."""
        if len(self._last) <= 2 * len(self._loops) + 64:
            return
        horizon = self._clock() - max(self.every_s, self.restart_gap_s)
        for key in [k for k, at in self._last.items() if at < horizon and k not in self._loops]:
            del self._last[key]
