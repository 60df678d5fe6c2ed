"""The discord.py client that feeds messages, button presses and slash commands to a TurnHandler.

Each gateway event already runs in its own task (discord.py dispatches that way), so a turn is
simply awaited in its handler; the tasks of running turns are tracked so that ``drain`` can let
them finish before the connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from adapters.discord.commands import install_commands
from adapters.discord.guild_settings import GuildSettings, GuildSettingsCache
from adapters.discord.i18n import CatalogTranslator
from adapters.discord.normalize import interaction_to_incoming, to_incoming
from adapters.discord.render import render_replies
from adapters.discord.sinks import NO_MENTIONS, ChannelSink, FollowupSink
from adapters.discord.stream import EDIT_INTERVAL_S, DiscordStream
from adapters.discord.views import CallbackButton
from adapters.typing_loops import TypingLoops
from botcore.dialogue.commands import is_private_command
from botcore.dialogue.protocols import TurnHandler
from botcore.errors import BotcoreError
from botcore.i18n import Text, detect_language
from botcore.messages import ChatType, IncomingMessage, OutgoingMessage

log = logging.getLogger(__name__)

RESTARTING = Text("I'm restarting, please try again in a moment.", "我正在重启，请稍后再试。")
EDIT_WINDOW = timedelta(minutes=15)
"""Edits of messages older than this are not answered again."""
TYPING_EVERY_S = 8.0
"""At most one typing call per channel this often (Discord shows one for ~10 s)."""
CUT_OFF_SEND_S = 2.0
"""How long a turn cut off at shutdown may take to tell its user to resend."""
CUT_OFF = Text("I was restarting — please send that again.",
               "我刚才在重启——请再发一次。")
"""Sent to a user whose turn was cut off by a shutdown (Discord does not redeliver messages)."""


def default_intents() -> discord.Intents:
    """Guilds, guild and DM messages, and the privileged message-content intent."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = True
    return intents


class BotcoreClient(discord.Client):
    """A ``discord.Client`` answering through a :class:`~botcore.dialogue.protocols.TurnHandler`.

    Args:
        handler: the dialogue manager (``runtime.manager``).
        guild_settings: per-guild settings (enabled channels…).
        sync_commands: sync the slash commands with Discord when logging in.
        gateway_from_api: ask the REST base's ``/gateway/bot`` for the gateway URL (set when
            ``BOTCORE_DISCORD_API_URL`` points at a Discord-compatible server).
        stream_interval_s: least seconds between two edits of a streamed reply.
        streaming: show the reply while it is generated (one message, edited); when False the
            reply is sent once it is complete.
        **options: passed to ``discord.Client`` (e.g. ``intents``).
    """

    def __init__(
        self,
        handler: TurnHandler,
        guild_settings: GuildSettingsCache,
        *,
        sync_commands: bool = True,
        gateway_from_api: bool = False,
        stream_interval_s: float = EDIT_INTERVAL_S,
        streaming: bool = True,
        **options: Any,
    ) -> None:
        options.setdefault("intents", default_intents())
        options.setdefault("allowed_mentions", NO_MENTIONS)
        super().__init__(**options)
        self.handler = handler
        self.guild_settings = guild_settings
        self.stream_interval_s = stream_interval_s
        self.streaming = streaming
        self.accepting = True
        self._sync_commands = sync_commands
        self._gateway_from_api = gateway_from_api
        self._inflight: set[asyncio.Task[Any]] = set()
        self._delivering: set[asyncio.Task[Any]] = set()
        self.typing: TypingLoops[int] = TypingLoops(TYPING_EVERY_S)
        """One typing loop per channel while any turn there is pending."""
        self.cut_off = 0
        """Turns cancelled at shutdown (their users were asked to resend)."""
        self.tree: app_commands.CommandTree[Any] = app_commands.CommandTree(self)
        install_commands(self.tree, self)
        self.add_dynamic_items(CallbackButton)

    # lifecycle -----------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        """Sync slash commands at start (a failure is logged, not fatal)."""
        if not self._sync_commands:
            return
        try:
            await self.tree.set_translator(CatalogTranslator())
            synced = await self.tree.sync()
            log.info("discord: %d slash commands synced", len(synced))
        except discord.HTTPException as exc:
            log.warning("discord: slash command sync failed (missing scope?): %s", exc)

    async def connect(self, *, reconnect: bool = True) -> None:
        """Connect; with a custom REST base, dial the gateway that server names."""
        if self._gateway_from_api and not isinstance(self, discord.AutoShardedClient):
            _shards, url, _limits = await self.http.get_bot_gateway()
            # discord.py has no per-client knob for this: the class default is what a fresh
            # (non-resumed) connection dials, just as Route.BASE is the process-wide REST base.
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            log.info("discord: gateway %s (from /gateway/bot)", url)
        await super().connect(reconnect=reconnect)

    async def drain(self, timeout_s: float) -> None:
        """Stop taking new turns, wait (up to ``timeout_s``) for running ones to finish, then
        cancel the rest; each cut-off user is asked to send the message again."""
        self.accepting = False
        pending = [t for t in self._inflight if t is not asyncio.current_task()]
        if pending:
            log.info("discord: waiting for %d turn(s) to finish", len(pending))
            _done, late = await asyncio.wait(pending, timeout=timeout_s)
            # a turn the manager already answered is only sending its reply: let it finish
            cut = {t for t in late if t not in self._delivering}
            if cut:
                log.warning("discord: cancelling %d turn(s) still running at shutdown", len(cut))
                for task in cut:
                    task.cancel()
            if late:
                await asyncio.wait(late, timeout=CUT_OFF_SEND_S + 1.0)

    @contextlib.asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._inflight.discard(task)

    @property
    def inflight(self) -> int:
        """How many turns are running."""
        return len(self._inflight)

    # messages ------------------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        """Answer a new message when it is addressed to the bot."""
        await self._on_message(message, edited=False)

    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        """Answer an edit of a recent addressed message whose text changed (not an embed update)."""
        if before.content == after.content:
            return
        if discord.utils.utcnow() - after.created_at > EDIT_WINDOW:
            return
        await self._on_message(after, edited=True)

    async def _settings_for(self, guild: discord.Guild | None) -> GuildSettings:
        if guild is None:
            return GuildSettings()
        try:
            return await self.guild_settings.get(str(guild.id))
        except BotcoreError as exc:  # SQL down: answer mentions at least
            log.warning("discord: guild settings unavailable: %s", exc)
            return GuildSettings()

    async def _on_message(self, message: discord.Message, *, edited: bool) -> None:
        me = self.user
        if me is None or message.author.bot:
            return
        settings = await self._settings_for(message.guild)
        incoming = to_incoming(message, me, enabled_channels=settings.enabled_channels, edited=edited)
        if incoming is None or not incoming.addressed:
            return
        sink = ChannelSink(message.channel)
        reference = str(message.id) if incoming.chat_type is ChatType.GROUP else None
        if not self.accepting:  # shutting down: this message would be lost without a word
            await self._ask_to_resend(sink, incoming, reference)
            return
        async with self._tracked():
            try:
                await self._answer_message(message, incoming)
            except asyncio.CancelledError:
                self.cut_off += 1
                await self._ask_to_resend(sink, incoming, reference)
                raise

    async def _ask_to_resend(self, sink: ChannelSink, incoming: IncomingMessage,
                             reference: str | None) -> None:
        """Best effort, briefly: "I was restarting — please send that again"."""
        lang = incoming.language or detect_language(incoming.text) or "en"
        try:
            async with asyncio.timeout(CUT_OFF_SEND_S):
                await sink.send(CUT_OFF.render(lang), reference=reference)
        except (TimeoutError, discord.DiscordException, OSError) as exc:
            log.info("discord: could not ask %s to resend: %s", incoming.chat_id, exc)

    async def _answer_message(self, message: discord.Message, incoming: IncomingMessage) -> None:
        if incoming.chat_type is ChatType.GROUP and is_private_command(incoming.text):
            stream_ok = False  # never show a private answer in the channel, not even streamed
        else:
            stream_ok = self.streaming
        sink = ChannelSink(message.channel)
        reference = str(message.id) if incoming.chat_type is ChatType.GROUP else None
        stream = DiscordStream(sink, reference=reference, interval_s=self.stream_interval_s)
        started = time.perf_counter()
        me = asyncio.current_task()
        try:
            try:
                async with self.typing.pending(message.channel.id, sink.typing_once):
                    replies = await self.handler.handle(incoming, stream if stream_ok else None)
                    if me is not None:  # answered: from here on, only sending is left
                        self._delivering.add(me)
            finally:
                await stream.close()
            replies = await self._privately(message.author, replies)
            await render_replies(sink, replies, reference=reference, streamed=stream.message)
        except discord.HTTPException as exc:
            log.warning("discord: could not reply in channel %s: %s", incoming.chat_id, exc)
            return
        finally:
            self._delivering.discard(me)  # type: ignore[arg-type]
        log.debug(
            "discord: message %s answered with %d part(s) in %.0f ms (%d stream edits)",
            incoming.message_id,
            len(replies),
            (time.perf_counter() - started) * 1000,
            stream.edits,
        )

    @staticmethod
    async def _privately(user: discord.User | discord.Member, replies: list[OutgoingMessage]
                         ) -> list[OutgoingMessage]:
        """Send the private replies (asked for in a channel) by DM; in their place the channel
        gets "sent privately", or the refusal when the user does not accept DMs from the bot."""
        out: list[OutgoingMessage] = []
        for reply in replies:
            if reply.private is None:
                out.append(reply)
                continue
            try:
                dm = await user.create_dm()
                sent = await render_replies(ChannelSink(dm), [replace(reply, private=None)])
                ok = bool(sent)
            except discord.HTTPException as exc:  # 50007: cannot send messages to this user
                log.info("discord: no DM to user %s: %s", reply.private.user_id, exc)
                ok = False
            out.append(OutgoingMessage(
                reply.private.sent_notice if ok else reply.private.refusal, reply.chat_id,
                thread_id=reply.thread_id, reply_to_message_id=reply.reply_to_message_id,
                notice=True))
        return out

    # interactions --------------------------------------------------------------------------

    async def handle_button(self, interaction: discord.Interaction[Any], data: str) -> None:
        """A button press: acknowledge it, then answer the ``callback_data`` by followup."""
        await interaction.response.defer()
        if not self.accepting:
            return
        async with self._tracked():
            incoming = interaction_to_incoming(interaction, "", callback_data=data)
            replies = await self.handler.handle(incoming)
            try:
                for reply in replies:  # a private answer is ephemeral: only the presser sees it
                    await render_replies(FollowupSink(interaction, ephemeral=reply.private
                                                      is not None), [replace(reply, private=None)])
            except discord.HTTPException as exc:
                log.warning("discord: could not answer a button press: %s", exc)

    async def run_command(self, interaction: discord.Interaction[Any], text: str, *, ephemeral: bool) -> None:
        """A slash command: defer within Discord's 3 s, then answer by followup. A private
        command (``/export``, also as ``/ask question:/export``) is ephemeral from the start."""
        ephemeral = ephemeral or is_private_command(text)
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        async with self._tracked():
            if not self.accepting:
                await interaction.followup.send(
                    RESTARTING.render(str(interaction.locale) if interaction.locale else None),
                    ephemeral=True,
                )
                return
            incoming = interaction_to_incoming(interaction, text)
            replies = await self.handler.handle(incoming)
            if not ephemeral:  # the deferral is public: a private answer goes by DM instead
                replies = await self._privately(interaction.user, replies)
            replies = [replace(r, private=None) for r in replies]
            try:
                sent = await render_replies(FollowupSink(interaction, ephemeral=ephemeral), replies)
                if not sent:  # nothing to say: remove the "thinking…" placeholder
                    await interaction.delete_original_response()
            except discord.HTTPException as exc:
                log.warning("discord: could not answer a slash command: %s", exc)


class ShardedBotcoreClient(BotcoreClient, discord.AutoShardedClient):
    """:class:`BotcoreClient` on an ``AutoShardedClient`` (asks ``/gateway/bot`` itself)."""
