"""``telegram.Update`` → :class:`~botcore.messages.IncomingMessage`.

Pure and synchronous (like PTB's ``check_update``): no I/O, so it is cheap and easy to test.

Policy:
- private chats are always addressed; in groups and supergroups a message is addressed when it
  mentions the bot, replies to one of the bot's messages, or starts with a command that is not
  meant for another bot (``/help@OtherBot``);
- forum topics become ``thread_id`` (each topic keeps its own conversation);
- channel posts, service messages and messages from other bots are ignored (``None``);
- photos, stickers, voice, audio, video and documents become ``attachments`` (the caption is the
  text, possibly empty);
- edited messages come through with ``edited=True``;
- a button press becomes ``callback_data``; its ``message_id`` is the callback query id.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Chat, Message, MessageEntity, Update

from botcore.messages import Attachment, AttachmentKind, ChatType, IncomingMessage

PLATFORM = "telegram"


@dataclass(frozen=True, slots=True)
class BotIdentity:
    """Who the bot is (from ``getMe``), to recognise mentions and replies."""

    id: int
    username: str | None = None

    @property
    def mention(self) -> str | None:
        """``@username`` in lower case, or None."""
        return f"@{self.username.lower()}" if self.username else None


def _chat_type(chat: Chat) -> ChatType:
    if chat.type == Chat.PRIVATE:
        return ChatType.PRIVATE
    if chat.type == Chat.CHANNEL:
        return ChatType.CHANNEL
    return ChatType.GROUP


def _attachments(message: Message) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    if message.photo:
        found.append(Attachment(AttachmentKind.PHOTO))
    if message.sticker:
        found.append(Attachment(AttachmentKind.STICKER, message.sticker.emoji))
    if message.voice or message.video_note:
        found.append(Attachment(AttachmentKind.VOICE))
    if message.audio:
        found.append(Attachment(AttachmentKind.AUDIO, message.audio.file_name))
    if message.video or message.animation:
        found.append(Attachment(AttachmentKind.VIDEO))
    if message.document and not message.animation:
        found.append(Attachment(AttachmentKind.DOCUMENT, message.document.file_name))
    for name in ("location", "contact", "poll", "dice", "venue", "game", "story"):
        if getattr(message, name, None) is not None:
            found.append(Attachment(AttachmentKind.OTHER, name))
    return tuple(found)


def _addressing(message: Message, text: str, me: BotIdentity) -> tuple[bool, str]:
    """Whether ``message`` speaks to the bot, and its text with the bot's own handle removed."""
    entities = message.parse_entities() if message.text else message.parse_caption_entities()
    addressed = False
    for entity, value in entities.items():
        if entity.type == MessageEntity.MENTION and me.mention and value.lower() == me.mention:
            addressed = True
        elif entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == me.id:
            addressed = True
        elif entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            command, _, target = value.partition("@")
            if not target or (me.username and target.lower() == me.username.lower()):
                addressed = True
                text = command + text[len(value) :]
    reply = message.reply_to_message
    if (
        reply is not None
        and reply.from_user is not None
        and reply.from_user.id == me.id
        and reply.forum_topic_created is None  # topic messages "reply" to the topic's first post
    ):
        addressed = True
    if me.mention and text.lower().startswith(me.mention):
        rest = text[len(me.mention) :]
        if not rest or not (rest[0].isalnum() or rest[0] == "_"):  # not @our_bot_2
            text = rest.lstrip(" ,:")
    return addressed, text


def normalize(update: Update, me: BotIdentity) -> IncomingMessage | None:
    """The normalized message of ``update``, or None when the bot should ignore it."""
    if update.callback_query is not None:
        return _callback(update, me)
    message = update.message or update.edited_message
    if message is None:  # channel posts, business messages, member updates, polls, …
        return None
    chat = message.chat
    if chat.type == Chat.CHANNEL:
        return None
    if message.sender_chat is not None:
        user_id, user_name = str(message.sender_chat.id), message.sender_chat.title
    elif message.from_user is not None and not message.from_user.is_bot:
        user_id, user_name = str(message.from_user.id), message.from_user.full_name
    else:
        return None
    text = message.text or message.caption or ""
    attachments = _attachments(message)
    if not text and not attachments:
        return None  # service message (joins, pins, topic edits…)
    chat_type = _chat_type(chat)
    addressed, text = _addressing(message, text, me)
    if chat_type is ChatType.PRIVATE:
        addressed = True
    reply = message.reply_to_message
    return IncomingMessage(
        platform=PLATFORM,
        message_id=str(message.message_id),
        chat_id=str(chat.id),
        user_id=user_id,
        text=text,
        user_name=user_name,
        chat_type=chat_type,
        thread_id=str(message.message_thread_id)
        if message.is_topic_message and message.message_thread_id
        else None,
        addressed=addressed,
        attachments=attachments,
        edited=update.edited_message is not None,
        reply_to_message_id=str(reply.message_id)
        if reply is not None and reply.forum_topic_created is None
        else None,
        reply_to_text=(reply.text or reply.caption)
        if reply is not None and reply.from_user is not None and reply.from_user.id == me.id
        else None,
        language=message.from_user.language_code if message.from_user else None,
        sent_at=(message.edit_date or message.date).timestamp(),
    )


def _callback(update: Update, me: BotIdentity) -> IncomingMessage | None:
    query = update.callback_query
    if query is None or query.data is None or query.message is None:
        return None  # game callbacks and inline-mode buttons carry no chat
    chat = query.message.chat
    if chat.type == Chat.CHANNEL or query.from_user.is_bot:
        return None
    message = query.message if isinstance(query.message, Message) else None
    thread_id = None
    if message is not None and message.is_topic_message and message.message_thread_id:
        thread_id = str(message.message_thread_id)
    return IncomingMessage(
        platform=PLATFORM,
        message_id=str(query.id),
        chat_id=str(chat.id),
        user_id=str(query.from_user.id),
        text="",
        user_name=query.from_user.full_name,
        chat_type=_chat_type(chat),
        thread_id=thread_id,
        addressed=True,
        callback_data=query.data,
        reply_to_message_id=str(query.message.message_id),
        language=query.from_user.language_code,
    )


def membership_change(update: Update) -> tuple[str, bool] | None:
    """``(user_id, active)`` when a user blocked (False) or restarted (True) the bot."""
    change = update.my_chat_member
    if change is None or change.chat.type != Chat.PRIVATE:
        return None
    status = change.new_chat_member.status
    if status in ("kicked", "left"):
        return str(change.from_user.id), False
    if status == "member":
        return str(change.from_user.id), True
    return None
