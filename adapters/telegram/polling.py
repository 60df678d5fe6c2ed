"""Long polling (``getUpdates``), the default transport.

Telegram counts an update as confirmed once ``getUpdates`` is called with a higher offset. So the
offset only moves past updates that were *answered*: it stays at the oldest update still in
flight, the updates Telegram returns again are skipped (they are already being answered), and
while turns are in flight the next poll waits until one finishes (or ``BUSY_POLL_S``) instead of
spinning on those repeats. An update cut off at shutdown is therefore never confirmed: Telegram
delivers it again after a restart. To keep a stuck turn from holding back intake (a getUpdates
page is 100 updates), the offset never lags more than ``MAX_LAG`` updates behind the newest one.

On stop the pending long poll is abandoned, in-flight turns get their grace period, and
:meth:`Poller.commit` confirms what was answered with one short ``getUpdates``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from adapters.telegram.intake import ALLOWED_UPDATES, UpdateSink
from adapters.telegram.ratelimit import retry_seconds
from botcore.errors import AdapterError

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0
MAX_LAG = 50
"""Most updates the offset may stay behind the newest one taken (a stuck turn's limit)."""
BUSY_POLL_S = 0.5
"""While turns are in flight, poll at least this often for new updates."""


class Poller:
    """Fetches updates for one adapter until stopped."""

    def __init__(self, adapter: UpdateSink, *, timeout: float = 30.0) -> None:
        self.adapter = adapter
        self.timeout = timeout
        self._seen: int | None = None
        """The newest update id taken."""
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._cut_off: set[int] = set()
        """Updates whose turn was cancelled (never answered): not to be confirmed."""
        self._finished = asyncio.Event()
        self._committed: int | None = None

    @property
    def offset(self) -> int | None:
        """What the next ``getUpdates`` sends: the oldest update not yet answered."""
        if self._seen is None:
            return None
        low = min((*self._inflight, *self._cut_off), default=self._seen + 1)
        return max(low, self._seen + 1 - MAX_LAG)

    def _take(self, update_id: int, task: asyncio.Task[None]) -> None:
        self._seen = update_id if self._seen is None else max(self._seen, update_id)
        self._inflight[update_id] = task

        def finished(t: asyncio.Task[None]) -> None:
            self._inflight.pop(update_id, None)
            if t.cancelled():
                self._cut_off.add(update_id)
            self._finished.set()

        task.add_done_callback(finished)

    async def _pace(self, stopping: asyncio.Event) -> None:
        """With turns in flight the next poll returns at once (their updates are not confirmed):
        wait until one finishes, or a short while for new updates, instead of spinning."""
        if self.offset is None or self._seen is None or self.offset > self._seen:
            return
        self._finished.clear()
        waiters = {asyncio.ensure_future(self._finished.wait()),
                   asyncio.ensure_future(stopping.wait())}
        try:
            await asyncio.wait(waiters, timeout=BUSY_POLL_S, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()

    async def _bootstrap(self, stopping: asyncio.Event) -> None:
        """Remove a webhook left from webhook mode (``getUpdates`` refuses to run beside one)."""
        delay = 1.0
        while not stopping.is_set():
            try:
                await self.adapter.bot.delete_webhook(drop_pending_updates=False)
                return
            except (NetworkError, RetryAfter) as exc:
                log.warning("deleteWebhook failed (%s); retrying in %.0fs", exc, delay)
                await _sleep_or_stop(stopping, delay)
                delay = min(delay * 2, MAX_BACKOFF_S)

    async def run(self, stopping: asyncio.Event) -> None:
        """Poll until ``stopping`` is set."""
        await self._bootstrap(stopping)
        bot = self.adapter.bot
        delay = 1.0
        fresh = True
        while not stopping.is_set():
            await self.adapter.wait_for_capacity()
            if not fresh:
                await self._pace(stopping)
                if stopping.is_set():
                    break
            fetch = asyncio.ensure_future(
                bot.get_updates(
                    offset=self.offset, timeout=int(self.timeout), allowed_updates=ALLOWED_UPDATES
                )
            )
            stop = asyncio.ensure_future(stopping.wait())
            try:
                await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
            finally:  # also on cancellation: never leave a long poll running
                stop.cancel()
                if not fetch.done():
                    fetch.cancel()
                    with contextlib.suppress(asyncio.CancelledError, TelegramError):
                        await fetch
            if fetch.cancelled():
                break
            try:
                updates = fetch.result()
            except InvalidToken as exc:
                raise AdapterError(f"Telegram rejected the bot token: {exc.message}") from exc
            except RetryAfter as exc:
                await _sleep_or_stop(stopping, retry_seconds(exc))
                continue
            except Conflict as exc:  # another process polls with this token, or a webhook is set
                log.error("getUpdates conflict: %s; retrying in %.0fs", exc.message, delay)
                await _sleep_or_stop(stopping, delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
                continue
            except TelegramError as exc:
                log.warning("getUpdates failed (%s); retrying in %.0fs", exc.message, delay)
                await _sleep_or_stop(stopping, delay)
                delay = min(delay * 2, MAX_BACKOFF_S)
                continue
            delay = 1.0
            fresh = False
            for update in updates:
                if self._seen is not None and update.update_id <= self._seen:
                    continue  # still in flight (or answered past the lag limit)
                self._take(update.update_id, self.adapter.submit(update))
                fresh = True

    async def commit(self) -> None:
        """Confirm every update answered (up to the first one that was not), so a restart does
        not receive them again, while the unanswered ones come again."""
        offset = self.offset
        if offset is None or offset == self._committed:
            return
        try:
            await self.adapter.bot.get_updates(
                offset=offset, timeout=0, limit=1, allowed_updates=ALLOWED_UPDATES
            )
            self._committed = offset
            unanswered = sorted(u for u in {*self._inflight, *self._cut_off} if u >= offset)
            log.info("telegram polling offset %d committed (%d update(s) left unconfirmed "
                     "for redelivery)", offset, len(unanswered))
        except TelegramError as exc:
            log.warning("could not commit polling offset %d: %s", offset, exc.message)


async def _sleep_or_stop(stopping: asyncio.Event, delay: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), delay)
