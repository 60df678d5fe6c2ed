"""Where a reply goes: a channel (with a message reference) or an interaction's followups.

Every send passes ``allowed_mentions=AllowedMentions.none()``: a reply never pings anyone, not
even the user it answers. All calls go through discord.py's HTTP client, so its rate-limit
buckets (and its retry after a 429) cover them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

import discord
from discord.utils import MISSING

NO_MENTIONS = discord.AllowedMentions.none()


class Sink(Protocol):
    """Sends and edits the messages of one reply."""

    async def send(
        self,
        content: str | None,
        *,
        view: discord.ui.View | None = None,
        file: discord.File | None = None,
        reference: str | None = None,
    ) -> discord.Message:
        """Send a message; ``reference`` is the id of a message to reply to."""
        ...

    async def edit(
        self,
        message: discord.Message,
        content: str,
        *,
        view: discord.ui.View | None = None,
        file: discord.File | None = None,
    ) -> None:
        """Replace a message's text (and add a view or a file)."""
        ...

    def typing(self) -> AbstractAsyncContextManager[None]:
        """Show that the bot is working while the context is open."""
        ...

    async def typing_once(self) -> None:
        """One typing call (Discord shows it for about 10 s or until the bot's next message)."""
        ...


@contextlib.asynccontextmanager
async def _no_typing() -> AsyncIterator[None]:
    yield


class ChannelSink:
    """Replies in a text channel, thread or DM."""

    def __init__(self, channel: discord.abc.Messageable) -> None:
        self.channel = channel

    async def send(
        self,
        content: str | None,
        *,
        view: discord.ui.View | None = None,
        file: discord.File | None = None,
        reference: str | None = None,
    ) -> discord.Message:
        """Send to the channel, as a reply to ``reference`` when given."""
        extra: dict[str, Any] = {}
        if view is not None:
            extra["view"] = view
        if file is not None:
            extra["file"] = file
        if reference and reference.isdigit():
            extra["reference"] = discord.MessageReference(
                message_id=int(reference),
                channel_id=self.channel.id,  # type: ignore[attr-defined]
                fail_if_not_exists=False,
            )
        return await self.channel.send(content, allowed_mentions=NO_MENTIONS, mention_author=False, **extra)

    async def edit(
        self,
        message: discord.Message,
        content: str,
        *,
        view: discord.ui.View | None = None,
        file: discord.File | None = None,
    ) -> None:
        """Edit one of our messages in place."""
        await message.edit(
            content=content,
            view=view or MISSING,
            attachments=[file] if file else MISSING,
            allowed_mentions=NO_MENTIONS,
        )

    def typing(self) -> AbstractAsyncContextManager[None]:
        """discord.py's typing context (re-sent every few seconds while open)."""
        return self.channel.typing()

    async def typing_once(self) -> None:
        """One typing call for the channel."""
        await self.channel.typing()


class FollowupSink:
    """Answers a deferred interaction with followup messages."""

    def __init__(self, interaction: discord.Interaction[Any], *, ephemeral: bool = False) -> None:
        self.interaction = interaction
        self.ephemeral = ephemeral

    async def send(
        self,
        content: str | None,
        *,
        view: discord.ui.View | None = None,
        file: discord.File | None = None,
        reference: str | None = None,
    ) -> discord.Message:
        """Send a followup (a followup has no message reference; ``reference`` is ignored)."""
        return await self.interaction.followup.send(
            content or MISSING,
            view=view or MISSING,
            file=file or MISSING,
            ephemeral=self.ephemeral,
            allowed_mentions=NO_MENTIONS,
            wait=True,
        )

    async def edit(
        self,
        message: discord.Message,
        content: str,
        *,
        view: discord.ui.View | None = None,
        file: discord.File | None = None,
    ) -> None:
        """Edit a followup we sent."""
        await self.interaction.followup.edit_message(
            message.id,
            content=content,
            view=view or MISSING,
            attachments=[file] if file else MISSING,
            allowed_mentions=NO_MENTIONS,
        )

    def typing(self) -> AbstractAsyncContextManager[None]:
        """Nothing: the deferred response already shows "thinking…"."""
        return _no_typing()

    async def typing_once(self) -> None:
        """Nothing: the deferred response already shows "thinking…"."""
