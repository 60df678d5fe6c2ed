"""What the two transports (long polling, webhook) need from the adapter they feed.

The transports type against :class:`UpdateSink` instead of importing the adapter, so the adapter
can import them without an import circle.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from telegram import Update
from telegram.ext import ExtBot

from botcore.config import Settings

ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
"""What we ask Telegram for (channel posts and the rest are never delivered)."""


class UpdateSink(Protocol):
    """The adapter as the transports see it: a bot to call and a place to hand updates to."""

    bot: ExtBot[int]
    settings: Settings

    async def wait_for_capacity(self) -> None:
        """Return when another update may be submitted."""
        ...

    def submit(self, update: Update) -> asyncio.Task[None]:
        """Start processing ``update`` in the background and return its task."""
        ...
