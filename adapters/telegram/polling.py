"""Long polling (``getUpdates``), the default transport.

The offset only moves past updates that were handed to the adapter. On stop the pending long
poll is abandoned (Telegram re-delivers whatever it held, since we never confirmed it), in-flight
turns finish, and :meth:`Poller.commit` confirms the last offset with one short ``getUpdates`` so
the next start does not see (and answer) those updates again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

from adapters.telegram.ratelimit import retry_seconds
from botcore.errors import AdapterError

if TYPE_CHECKING:
    from adapters.telegram.adapter import TelegramAdapter

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0


class Poller:
    """Fetches updates for one adapter until stopped."""

    def __init__(self, adapter: TelegramAdapter, *, timeout: float = 30.0) -> None:
        self.adapter = adapter
        self.timeout = timeout
        self.offset: int | None = None
        self._committed: int | None = None

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
        from adapters.telegram.adapter import ALLOWED_UPDATES

        await self._bootstrap(stopping)
        bot = self.adapter.bot
        delay = 1.0
        while not stopping.is_set():
            await self.adapter.wait_for_capacity()
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
            for update in updates:
                self.adapter.submit(update)
                self.offset = update.update_id + 1

    async def commit(self) -> None:
        """Confirm every update we took, so a restart does not receive them again."""
        from adapters.telegram.adapter import ALLOWED_UPDATES

        if self.offset is None or self.offset == self._committed:
            return
        try:
            await self.adapter.bot.get_updates(
                offset=self.offset, timeout=0, limit=1, allowed_updates=ALLOWED_UPDATES
            )
            self._committed = self.offset
            log.info("telegram polling offset %d committed", self.offset)
        except TelegramError as exc:
            log.warning("could not commit polling offset %d: %s", self.offset, exc.message)


async def _sleep_or_stop(stopping: asyncio.Event, delay: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), delay)
