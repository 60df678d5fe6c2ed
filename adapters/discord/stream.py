"""Streaming a reply into Discord by editing one message, at most about once a second.

``update`` only records the newest text and makes sure one background flusher runs; the flusher
sends the first preview, then edits it whenever the text changed and the interval has passed.
So the model's token stream is never held up by Discord's HTTP latency, and a burst of tokens
costs one edit. :meth:`ThrottledStream.close` stops the flusher before the final render, so no late
preview edit can overwrite the finished reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import discord

from adapters.discord.sinks import Sink
from adapters.discord.text import DISCORD_LIMIT, neutralize_mass_mentions, truncate

log = logging.getLogger(__name__)

EDIT_INTERVAL_S = 1.0
"""Least time between two edits of a streamed message (Discord allows ~5 edits per 5 s)."""


class ThrottledStream:
    """A :class:`botcore.dialogue.protocols.ReplyStream` that edits one Discord message.

    Args:
        sink: where the preview message is sent and edited.
        reference: id of the message the preview replies to.
        interval_s: least seconds between two edits.
    """

    def __init__(
        self, sink: Sink, *, reference: str | None = None, interval_s: float = EDIT_INTERVAL_S
    ) -> None:
        self._sink = sink
        self._reference = reference
        self._interval = interval_s
        self._latest = ""
        self._shown = ""
        self._last_at = float("-inf")
        self._closed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.message: discord.Message | None = None
        """The preview message, once one was sent."""
        self.edits = 0
        """How many times the preview was edited (for tests and metrics)."""
        self.notices = 0
        """How many notices (the busy notice) were sent."""

    async def update(self, text: str) -> None:
        """Record the partial reply; the flusher shows it when the interval allows."""
        if self._closed.is_set():
            return
        self._latest = text
        if self._task is None and text.strip() and text != self._shown:
            self._task = asyncio.create_task(self._flush(), name="discord-stream-flush")

    async def _flush(self) -> None:
        try:
            while not self._closed.is_set():
                wait = self._last_at + self._interval - time.monotonic()
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closed.wait(), wait)
                    if self._closed.is_set():
                        return
                text = self._latest
                if text == self._shown:
                    return
                await self._show(text)
        except discord.HTTPException as exc:
            log.warning("streaming preview failed: %s", exc)
        except Exception:  # a preview must never break the turn; the final render still runs
            log.exception("streaming preview failed")
        finally:
            self._task = None

    async def _show(self, text: str) -> None:
        preview = truncate(neutralize_mass_mentions(text), DISCORD_LIMIT)
        self._last_at = time.monotonic()
        if self.message is None:
            self.message = await self._sink.send(preview, reference=self._reference)
        else:
            await self._sink.edit(self.message, preview)
            self.edits += 1
        self._shown = text

    async def notice(self, text: str) -> None:
        """Send ``text`` (the busy notice) as a message of its own, before the preview."""
        if self._closed.is_set():
            return
        try:
            await self._sink.send(truncate(text, DISCORD_LIMIT), reference=self._reference)
            self.notices += 1
        except discord.HTTPException as exc:
            log.warning("busy notice failed: %s", exc)

    async def close(self) -> None:
        """Stop previewing; waits for an edit in flight so the final render comes last."""
        self._closed.set()
        task = self._task
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
