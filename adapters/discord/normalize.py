"""Turn discord.py objects into :class:`~botcore.messages.IncomingMessage`.

Rules (documented in docs/discord.md):

- Messages from bots (this one included), webhooks and system messages are ignored.
- DMs are always addressed to the bot (``ChatType.PRIVATE``).
- In a guild the message is addressed when it mentions the bot (a user mention, or a mention of the
  bot's own managed role), or when it is sent in a channel the guild enabled with ``/settings``
  (a thread counts as enabled when its parent channel is). ``@everyone``/``@here`` don't count.
- A thread keeps its own conversation: ``chat_id`` is the parent channel, ``thread_id`` the thread.
- An edit becomes a message with ``edited=True`` and the original id; the dialogue manager's dedupe
  keys edits by their text, so a redelivered edit is dropped and a new edit is answered.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Any

import discord

from botcore.messages import Attachment, AttachmentKind, ChatType, IncomingMessage

PLATFORM = "discord"

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
_CHANNEL_MENTION = re.compile(r"<#(\d+)>")
_USER_MESSAGE_TYPES = frozenset({discord.MessageType.default, discord.MessageType.reply})


def attachment_kind(attachment: discord.Attachment) -> AttachmentKind:
    """Classify a Discord attachment by its content type."""
    ctype = (attachment.content_type or "").split(";")[0].strip().lower()
    if ctype.startswith("image/"):
        return AttachmentKind.PHOTO
    if ctype.startswith("audio/"):
        return AttachmentKind.VOICE if attachment.is_voice_message() else AttachmentKind.AUDIO
    if ctype.startswith("video/"):
        return AttachmentKind.VIDEO
    return AttachmentKind.DOCUMENT


def _bot_role_ids(message: discord.Message, me: discord.abc.User) -> set[int]:
    guild = message.guild
    if guild is None:
        return set()
    member = guild.get_member(me.id)
    if member is None:
        return set()
    return {role.id for role in member.roles if role.is_bot_managed()}


def mentions_bot(message: discord.Message, me: discord.abc.User) -> bool:
    """True when ``message`` mentions the bot itself (not via ``@everyone``/``@here``)."""
    if any(user.id == me.id for user in message.mentions):
        return True
    roles = _bot_role_ids(message, me)
    return bool(roles) and any(role.id in roles for role in message.role_mentions)


def readable_text(message: discord.Message, me: discord.abc.User) -> str:
    """The message text with the bot's mention removed and other mentions made readable."""
    users = {user.id: user.display_name for user in message.mentions}
    roles = {role.id: role.name for role in message.role_mentions}
    bot_roles = _bot_role_ids(message, me)
    guild = message.guild

    def user_sub(match: re.Match[str]) -> str:
        uid = int(match.group(1))
        if uid == me.id:
            return ""
        return f"@{users.get(uid, 'someone')}"

    def role_sub(match: re.Match[str]) -> str:
        rid = int(match.group(1))
        if rid in bot_roles:
            return ""
        return f"@{roles.get(rid, 'role')}"

    def channel_sub(match: re.Match[str]) -> str:
        channel = guild.get_channel_or_thread(int(match.group(1))) if guild else None
        return f"#{channel.name}" if channel is not None else "#channel"

    text = _USER_MENTION.sub(user_sub, message.content)
    text = _ROLE_MENTION.sub(role_sub, text)
    text = _CHANNEL_MENTION.sub(channel_sub, text)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def location(channel: object) -> tuple[ChatType, str, str | None]:
    """``(chat_type, chat_id, thread_id)`` of a channel; a thread maps to its parent channel."""
    if isinstance(channel, discord.Thread):
        return ChatType.GROUP, str(channel.parent_id), str(channel.id)
    channel_id = str(getattr(channel, "id", ""))
    if isinstance(channel, discord.DMChannel | discord.GroupChannel):
        return ChatType.PRIVATE, channel_id, None
    if isinstance(channel, discord.PartialMessageable) and channel.guild_id is None:
        return ChatType.PRIVATE, channel_id, None
    return ChatType.GROUP, channel_id, None


def _own_message_text(reference: discord.MessageReference | None, me: discord.abc.User) -> str | None:
    """The content of the bot's own message that ``reference`` points at (None otherwise)."""
    resolved = reference.resolved if reference is not None else None
    if isinstance(resolved, discord.Message) and resolved.author.id == me.id:
        return resolved.content
    return None


def to_incoming(
    message: discord.Message,
    me: discord.abc.User,
    *,
    enabled_channels: Collection[str] = (),
    edited: bool = False,
) -> IncomingMessage | None:
    """Normalize one Discord message, or ``None`` when the bot must ignore it.

    Args:
        message: the message discord.py parsed from the gateway.
        me: the bot's own user (``client.user``).
        enabled_channels: channel ids (strings) where the bot answers without a mention.
        edited: the message is an edit of an earlier one.
    """
    if message.author.bot or message.webhook_id is not None or message.author.id == me.id:
        return None
    if message.type not in _USER_MESSAGE_TYPES:
        return None
    chat_type, chat_id, thread_id = location(message.channel)
    if chat_type is ChatType.PRIVATE:
        addressed = True
    else:
        addressed = (
            mentions_bot(message, me)
            or chat_id in enabled_channels
            or (thread_id is not None and thread_id in enabled_channels)
        )
    attachments = tuple(Attachment(attachment_kind(a), a.filename) for a in message.attachments) + tuple(
        Attachment(AttachmentKind.STICKER, s.name) for s in message.stickers
    )
    reference = message.reference
    return IncomingMessage(
        platform=PLATFORM,
        message_id=str(message.id),
        chat_id=chat_id,
        user_id=str(message.author.id),
        text=readable_text(message, me),
        user_name=message.author.display_name,
        chat_type=chat_type,
        thread_id=thread_id,
        addressed=addressed,
        attachments=attachments,
        edited=edited,
        reply_to_message_id=str(reference.message_id)
        if reference is not None and reference.message_id is not None
        else None,
        reply_to_text=_own_message_text(reference, me),
        # A message carries no locale; a server's community language is the only hint there is.
        language=str(message.guild.preferred_locale)
        if message.guild is not None and message.guild.preferred_locale else None,
        settings_scope=str(message.guild.id) if message.guild is not None else None,
        sent_at=(message.edited_at if edited and message.edited_at else message.created_at).timestamp(),
    )


def interaction_to_incoming(
    interaction: discord.Interaction[Any], text: str, *, callback_data: str | None = None
) -> IncomingMessage:
    """Normalize a slash command (``text`` is the equivalent ``/command args``) or a button press.

    The interaction id is the message id: snowflakes are unique across Discord, so a redelivered
    interaction dedupes and never collides with a message.
    """
    channel = interaction.channel
    if channel is not None:
        chat_type, chat_id, thread_id = location(channel)
    else:
        chat_type = ChatType.PRIVATE if interaction.guild_id is None else ChatType.GROUP
        chat_id, thread_id = str(interaction.channel_id), None
    user = interaction.user
    return IncomingMessage(
        platform=PLATFORM,
        message_id=str(interaction.id),
        chat_id=chat_id,
        user_id=str(user.id),
        text=text,
        user_name=user.display_name,
        chat_type=chat_type,
        thread_id=thread_id,
        addressed=True,
        callback_data=callback_data,
        language=str(interaction.locale) if interaction.locale else None,
        settings_scope=str(interaction.guild_id) if interaction.guild_id is not None else None,
        sent_at=interaction.created_at.timestamp(),
    )
