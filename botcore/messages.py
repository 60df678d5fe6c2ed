"""Normalized message types shared by every adapter and the dialogue manager.

Adapters turn a platform update into an :class:`IncomingMessage` and render the
:class:`OutgoingMessage` objects the dialogue manager returns. Both are frozen and slotted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum


class ChatType(StrEnum):
    """Where a message was sent."""

    PRIVATE = "private"
    GROUP = "group"
    CHANNEL = "channel"


class AttachmentKind(StrEnum):
    """Non-text content a platform delivered."""

    PHOTO = "photo"
    STICKER = "sticker"
    VOICE = "voice"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ConversationKey:
    """Identifies one memory scope: a user in a chat (or a whole group when ``user_id`` is None).

    Used for every short-term key, lock and SQL conversation row.
    """

    platform: str
    chat_id: str
    user_id: str | None
    thread_id: str | None = None

    def __str__(self) -> str:
        return f"{self.platform}:{self.chat_id}:{self.thread_id or '-'}:{self.user_id or '*'}"

    @property
    def user_ref(self) -> str | None:
        """``platform:user_id`` of the owner, or None for shared group memory."""
        return f"{self.platform}:{self.user_id}" if self.user_id is not None else None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A piece of non-text content (we never download it; we only say what we support)."""

    kind: AttachmentKind
    name: str | None = None


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One user message, normalized.

    Attributes:
        platform: ``telegram``, ``discord``, ``console`` or a plugin's name.
        message_id: the platform's id of this message (dedupe key with ``platform`` and ``chat_id``).
        chat_id: the chat, channel or DM the message came from.
        user_id: the sender's platform id.
        text: the text (may be empty when only attachments were sent).
        addressed: the bot was addressed (private chat, mention, reply to the bot, command).
        callback_data: set when this is a button press rather than typed text.
        edited: the user edited an earlier message.
    """

    platform: str
    message_id: str
    chat_id: str
    user_id: str
    text: str
    user_name: str | None = None
    chat_type: ChatType = ChatType.PRIVATE
    thread_id: str | None = None
    addressed: bool = True
    attachments: tuple[Attachment, ...] = ()
    edited: bool = False
    callback_data: str | None = None
    reply_to_message_id: str | None = None
    reply_to_text: str | None = None
    """The text of the bot's own message this one replies to (staff answering a handoff
    notice); None when it replies to someone else's message or to nothing."""
    language: str | None = None
    settings_scope: str | None = None
    """Where per-chat settings live when not under ``chat_id`` (e.g. the Discord guild id)."""
    sent_at: float = field(default_factory=time.time)

    @property
    def user_ref(self) -> str:
        """The user as ``platform:user_id``, the form used in the CLI, exports and admin ids."""
        return f"{self.platform}:{self.user_id}"

    @property
    def is_command(self) -> bool:
        """True for ``/command`` messages."""
        return self.text.lstrip().startswith("/") and self.callback_data is None

    def conversation_key(self, *, shared_group_memory: bool = False) -> ConversationKey:
        """The memory scope of this message: per user per chat, or the whole group if shared."""
        user: str | None = self.user_id
        if shared_group_memory and self.chat_type is ChatType.GROUP:
            user = None
        return ConversationKey(self.platform, self.chat_id, user, self.thread_id)


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button; ``data`` comes back as ``IncomingMessage.callback_data``."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class OutgoingFile:
    """A file to send (e.g. the ``/export`` JSON)."""

    filename: str
    content: bytes
    mime_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class PrivateDelivery:
    """A reply that only ``user_id`` may see, asked for in a group.

    Adapters send it privately (a DM, or an ephemeral answer to a slash command or button) and
    never in the group; in the group they post ``sent_notice`` once it went out, or ``refusal``
    when the user cannot be messaged privately (e.g. never started a DM with the bot).
    """

    user_id: str
    sent_notice: str
    refusal: str


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One reply. ``text`` uses a small Markdown subset: ``**bold**``, ``*italic*``, `` `code` ``
    and fenced code blocks; adapters escape everything else for their platform.

    Attributes:
        buttons: rows of inline buttons.
        turn_id: the stored id of the bot message (for feedback buttons), when persisted.
        skill: which skill produced it (``None`` for commands and system notices).
        notice: a system message (rate limit, error) rather than a model answer.
        private: set when the reply must reach only one user privately (see
            :class:`PrivateDelivery`); ``chat_id`` is then the group it was asked in.
    """

    text: str
    chat_id: str
    thread_id: str | None = None
    reply_to_message_id: str | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()
    file: OutgoingFile | None = None
    turn_id: int | None = None
    skill: str | None = None
    notice: bool = False
    private: PrivateDelivery | None = None
