"""Streaming a reply into Discord by editing one message, at most about once a second (the
throttling itself is :class:`adapters.streaming.ThrottledStream`'s)."""

from __future__ import annotations

import discord

from adapters.discord.sinks import Sink
from adapters.discord.text import DISCORD_LIMIT, neutralize_mass_mentions, truncate
from adapters.streaming import ThrottledStream

EDIT_INTERVAL_S = 1.0
"""Least time between two edits of a streamed message (Discord allows ~5 edits per 5 s)."""


class DiscordStream(ThrottledStream[str]):
    """A :class:`~adapters.streaming.ThrottledStream` that edits one Discord message.

    Args:
        sink: where the preview message is sent and edited.
        reference: id of the message the preview replies to.
        interval_s: least seconds between two edits.
    """

    def __init__(
        self, sink: Sink, *, reference: str | None = None, interval_s: float = EDIT_INTERVAL_S
    ) -> None:
        super().__init__(interval_s, name="discord-stream")
        self._sink = sink
        self._reference = reference
        self.message: discord.Message | None = None
        """The preview message, once one was sent."""

    def preview(self, text: str) -> str | None:
        """``text`` mention-neutralized and cut to one message (None while blank)."""
        if not text.strip():
            return None
        return truncate(neutralize_mass_mentions(text), DISCORD_LIMIT)

    async def send(self, preview: str) -> bool:
        """Send the preview message (replying to the user's message)."""
        self.message = await self._sink.send(preview, reference=self._reference)
        return True

    async def edit(self, preview: str) -> bool:
        """Edit the preview message."""
        assert self.message is not None
        await self._sink.edit(self.message, preview)
        return True

    async def say(self, text: str) -> bool:
        """Send ``text`` (cut to one message) as a message of its own."""
        await self._sink.send(truncate(text, DISCORD_LIMIT), reference=self._reference)
        return True
