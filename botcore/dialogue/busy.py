"""The busy notice: a user whose turn has shown nothing for a while hears that it is coming.

The dialogue manager wraps each addressed turn's :class:`~botcore.dialogue.protocols.ReplyStream`
in a :class:`BusyWatch`. If neither a streamed delta nor the final reply came within
``BOTCORE_BUSY_NOTICE_S`` seconds of the turn's start (whatever held it up: the per-conversation
order, the model's queue, a slow worker), the stream's ``notice`` sends one short message in the
user's language — once per turn. An executor that reports admission news (``on_status``: queued
with a rough wait) lets the notice go out as soon as the wait is known to end past that time.
It lives on the bot side, so it works for every executor (in-process or Celery) and every
adapter whose stream can send a notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from botcore.dialogue.protocols import ReplyStream
from botcore.errors import BotcoreError
from botcore.i18n import Text
from botcore.inference.payloads import GenerationStatus

log = logging.getLogger(__name__)

BUSY = Text("I'm a bit busy — you're next in line.", "我现在有点忙——马上就轮到你了。")
"""What a user waiting longer than ``BOTCORE_BUSY_NOTICE_S`` is told (once per turn)."""


class BusyWatch:
    """A :class:`~botcore.dialogue.protocols.ReplyStream` around an adapter's stream that sends
    the busy notice when the turn has shown nothing after ``after_s`` seconds.

    Args:
        stream: the adapter's stream; its ``notice`` delivers the busy text.
        text: the notice, already in the user's language.
        after_s: seconds from now until the notice is due (``<= 0``: never).
    """

    def __init__(self, stream: ReplyStream, text: str, after_s: float) -> None:
        self._stream = stream
        self._text = text
        self._responded = False
        self._sending = False
        self.sent = False
        """Whether the notice went out (for logs and tests)."""
        send: Callable[[str], Awaitable[None]] | None = getattr(stream, "notice", None)
        self._send: Callable[[str], Awaitable[None]] = send or _nothing
        self._after_s = after_s
        self._started = asyncio.get_running_loop().time()
        self._task: asyncio.Task[None] | None = None
        if after_s > 0 and send is not None:
            self._task = asyncio.create_task(self._fire(send, after_s), name="botcore-busy-notice")

    async def _fire(self, send: Callable[[str], Awaitable[None]], after_s: float) -> None:
        await asyncio.sleep(after_s)
        if self._responded or self.sent:
            return
        self._sending = True
        try:
            await send(self._text)
            self.sent = True
            log.info("busy notice sent after %.1fs",
                     asyncio.get_running_loop().time() - self._started)
        except (BotcoreError, OSError) as exc:  # cosmetic: never fail the turn over it
            log.warning("busy notice failed: %s", exc)
        finally:
            self._sending = False

    async def status(self, news: GenerationStatus) -> None:
        """Admission news from the executor: a request queued with a wait (``eta_s``) that ends
        past the notice time gets the notice now rather than when the time is up."""
        if news.state != "queued" or news.eta_s is None or self._responded:
            return
        elapsed = asyncio.get_running_loop().time() - self._started
        if elapsed + news.eta_s > self._after_s and self._task is not None \
                and not self._task.done() and not self._sending:
            self._task.cancel()
            self._task = asyncio.create_task(self._fire(self._send, 0.0),
                                             name="botcore-busy-notice")

    async def update(self, text: str) -> None:
        """The first delta is a response: the notice is no longer due."""
        self._responded = True
        self._cancel()
        await self._stream.update(text)

    async def notice(self, text: str) -> None:
        """Pass another notice through to the adapter's stream."""
        send: Callable[[str], Awaitable[None]] | None = getattr(self._stream, "notice", None)
        if send is not None:
            await send(text)

    def _cancel(self) -> None:
        task = self._task
        if task is not None and not task.done() and not self._sending:
            task.cancel()

    async def close(self) -> None:
        """The turn is over: drop a notice not yet due; let one being sent finish first (so it
        never lands after the reply)."""
        self._responded = True
        self._cancel()
        task, self._task = self._task, None
        if task is not None:  # asyncio.wait: a cancellation of this turn still propagates
            await asyncio.wait({task})
            if not task.cancelled() and task.exception() is not None:
                log.warning("busy notice failed: %s", task.exception())


async def _nothing(text: str) -> None:
    del text


def status_hook(executor: object, stream: object) -> dict[str, Any]:
    """``{"on_status": …}`` for ``executor.generate`` when the executor reports admission news
    (an optional keyword: the local and Celery executors have it) and ``stream`` is a
    :class:`BusyWatch`; else nothing."""
    if not isinstance(stream, BusyWatch):
        return {}
    try:
        params = inspect.signature(executor.generate).parameters  # type: ignore[attr-defined]
    except (AttributeError, TypeError, ValueError):
        return {}
    return {"on_status": stream.status} if "on_status" in params else {}


@contextlib.asynccontextmanager
async def busy_watch(stream: ReplyStream | None, lang: str,
                     after_s: float) -> AsyncIterator[ReplyStream | None]:
    """Wrap ``stream`` in a :class:`BusyWatch` for the body (a ``None`` stream stays ``None``)."""
    if stream is None or after_s <= 0:
        yield stream
        return
    watch = BusyWatch(stream, BUSY.render(lang), after_s)
    try:
        yield watch
    finally:
        await watch.close()
