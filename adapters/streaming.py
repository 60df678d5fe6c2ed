"""A reply streamed into one chat message, edited at most once per interval: the same for every
platform.

``update`` only records the newest text and makes sure one background task catches up; that task
sends the first preview, then edits it whenever the preview changed and the interval has passed
(platform rate limits would delay faster edits anyway; we skip the stale intermediate ones). So
the model's token stream is never held up by the platform's latency, and a burst of tokens costs
one edit. :meth:`ThrottledStream.close` stops the task before the final render, so no late preview
can overwrite the finished reply. A platform supplies how a preview looks and how it is sent and
edited (Telegram: :class:`adapters.telegram.reply.TelegramStream`; Discord:
:class:`adapters.discord.stream.DiscordStream`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

P = TypeVar("P")
"""What a preview is on the platform (Discord: the text; Telegram: a rendered part)."""


class ThrottledStream(ABC, Generic[P]):
    """A :class:`botcore.dialogue.protocols.ReplyStream` that edits one message, throttled.

    Subclasses say what the preview of a text is (:meth:`preview`) and how it is sent
    (:meth:`send`), edited (:meth:`edit`) and how a notice goes out (:meth:`say`). ``send`` and
    ``edit`` return False when the chat is gone (the stream then stops); any other error is logged
    and ends this round of catching up (the next ``update`` tries again): a preview never breaks
    the turn, whose final render still runs.

    Args:
        interval_s: least seconds between the end of one send or edit and the next.
        name: name of the background task (for debugging).
    """

    def __init__(self, interval_s: float, *, name: str = "stream") -> None:
        self.interval_s = interval_s
        self._name = name
        self._latest = ""
        self._task: asyncio.Task[None] | None = None
        self._sending = False
        self._closed = False
        self._next_at = 0.0
        self.shown: P | None = None
        """The preview the message shows now (None until one was sent)."""
        self.edits = 0
        """How many times the preview was edited (for tests and metrics)."""
        self.notices = 0
        """How many notices (the busy notice) were sent."""

    @abstractmethod
    def preview(self, text: str) -> P | None:
        """What the message shows for the reply ``text`` so far (None: nothing to show yet)."""

    @abstractmethod
    async def send(self, preview: P) -> bool:
        """Send the first preview as a new message; False when the chat is gone."""

    @abstractmethod
    async def edit(self, preview: P) -> bool:
        """Make the sent message show ``preview``; False when the chat is gone."""

    @abstractmethod
    async def say(self, text: str) -> bool:
        """Send ``text`` as a message of its own; whether it was sent."""

    async def update(self, text: str) -> None:
        """Show ``text`` (the whole reply so far) soon; never waits for the platform."""
        if self._closed:
            return
        self._latest = text
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._catch_up(), name=self._name)

    async def _catch_up(self) -> None:
        try:
            while not self._closed:
                preview = self.preview(self._latest)
                if preview is None or preview == self.shown:
                    return
                delay = self._next_at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                    continue  # the text may have grown while we slept
                self._sending = True
                try:
                    first = self.shown is None
                    if not await (self.send(preview) if first else self.edit(preview)):
                        self._closed = True
                        return
                    self.edits += 0 if first else 1
                    self.shown = preview
                finally:
                    self._sending = False
                    self._next_at = time.monotonic() + self.interval_s
        except Exception as exc:  # a preview must never break the turn
            log.warning("%s: streaming preview failed: %s", self._name, exc, exc_info=True)

    async def notice(self, text: str) -> None:
        """Send ``text`` (the busy notice) as a message of its own, before the streamed reply."""
        if self._closed:
            return
        try:
            if await self.say(text):
                self.notices += 1
        except Exception as exc:  # the notice is a courtesy
            log.warning("%s: notice failed: %s", self._name, exc)

    async def close(self) -> None:
        """Stop streaming; wait for a call in flight so the message is final (unless the turn
        itself is being cancelled: then the preview is abandoned at once)."""
        self._closed = True
        task = self._task
        if task is None or task.done():
            return
        me = asyncio.current_task()
        if not self._sending or (me is not None and me.cancelling()):
            task.cancel()
        await asyncio.wait([task])
