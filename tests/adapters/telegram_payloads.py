"""Real Bot API update shapes (as ``getUpdates`` returns them), for ``Update.de_json``.

Field names and nesting follow https://core.telegram.org/bots/api#update; the values are made up.
Each builder returns a fresh dict, so tests can tweak them.
"""

from __future__ import annotations

from typing import Any

BOT_ID = 7000000001
BOT_USERNAME = "botcore_test_bot"
TOKEN = "7000000001:AAH-test-token-ZYX_0123456789abcdefghij"
DATE = 1764403200  # 2025-11-29 08:00:00 UTC

JSON = dict[str, Any]

BOT_USER: JSON = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Botcore",
    "username": BOT_USERNAME,
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

ANA: JSON = {
    "id": 111111111,
    "is_bot": False,
    "first_name": "Ana",
    "last_name": "Silva",
    "username": "ana_s",
    "language_code": "pt-br",
}
BEN: JSON = {"id": 222222222, "is_bot": False, "first_name": "Ben", "language_code": "en"}

PRIVATE_CHAT: JSON = {
    "id": ANA["id"],
    "first_name": "Ana",
    "last_name": "Silva",
    "username": "ana_s",
    "type": "private",
}
GROUP_CHAT: JSON = {"id": -1001234567890, "title": "Study group", "type": "supergroup"}
FORUM_CHAT: JSON = {"id": -1009876543210, "title": "School", "type": "supergroup", "is_forum": True}
CHANNEL_CHAT: JSON = {"id": -1005555555555, "title": "News", "type": "channel"}


def _message(message_id: int, chat: JSON, sender: JSON | None = ANA, **fields: Any) -> JSON:
    msg: JSON = {"message_id": message_id, "date": DATE, "chat": dict(chat)}
    if sender is not None:
        msg["from"] = dict(sender)
    msg.update(fields)
    return msg


def private_text(update_id: int = 1, text: str = "Hello there", message_id: int = 10) -> JSON:
    """A plain text message in a private chat."""
    return {"update_id": update_id, "message": _message(message_id, PRIVATE_CHAT, text=text)}


def private_command(update_id: int = 2, command: str = "/start", message_id: int = 11) -> JSON:
    """A command in a private chat (with its ``bot_command`` entity)."""
    return {
        "update_id": update_id,
        "message": _message(
            message_id,
            PRIVATE_CHAT,
            text=command,
            entities=[{"type": "bot_command", "offset": 0, "length": len(command.split()[0])}],
        ),
    }


def group_mention(update_id: int = 3, message_id: int = 20) -> JSON:
    """A group message that mentions the bot by @username."""
    text = f"@{BOT_USERNAME} what is photosynthesis?"
    return {
        "update_id": update_id,
        "message": _message(
            message_id,
            GROUP_CHAT,
            sender=BEN,
            text=text,
            entities=[{"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}],
        ),
    }


def group_reply_to_bot(update_id: int = 4, message_id: int = 21) -> JSON:
    """A group message replying to one of the bot's messages."""
    bot_msg = _message(19, GROUP_CHAT, sender=BOT_USER, text="Plants make food from light.")
    return {
        "update_id": update_id,
        "message": _message(
            message_id, GROUP_CHAT, sender=BEN, text="Tell me more", reply_to_message=bot_msg
        ),
    }


def group_plain(update_id: int = 5, message_id: int = 22) -> JSON:
    """A group message not addressed to the bot."""
    return {
        "update_id": update_id,
        "message": _message(message_id, GROUP_CHAT, sender=BEN, text="see you all tomorrow"),
    }


def group_command_for_other_bot(update_id: int = 6, message_id: int = 23) -> JSON:
    """``/help@OtherBot`` in a group: meant for another bot."""
    return {
        "update_id": update_id,
        "message": _message(
            message_id,
            GROUP_CHAT,
            sender=BEN,
            text="/help@OtherBot",
            entities=[{"type": "bot_command", "offset": 0, "length": 14}],
        ),
    }


def group_command_for_us(update_id: int = 7, message_id: int = 24) -> JSON:
    """``/quiz@botcore_test_bot fractions`` in a group."""
    cmd = f"/quiz@{BOT_USERNAME}"
    return {
        "update_id": update_id,
        "message": _message(
            message_id,
            GROUP_CHAT,
            sender=BEN,
            text=f"{cmd} fractions",
            entities=[{"type": "bot_command", "offset": 0, "length": len(cmd)}],
        ),
    }


def forum_topic_message(update_id: int = 8, message_id: int = 31, thread_id: int = 30) -> JSON:
    """A message in a forum topic, mentioning the bot. Topic messages "reply" to the topic's
    creation message, which is not a reply to the bot."""
    created = _message(
        thread_id,
        FORUM_CHAT,
        sender=ANA,
        message_thread_id=thread_id,
        forum_topic_created={"name": "Maths", "icon_color": 7322096},
        is_topic_message=True,
    )
    text = f"@{BOT_USERNAME} help with fractions"
    return {
        "update_id": update_id,
        "message": _message(
            message_id,
            FORUM_CHAT,
            sender=ANA,
            text=text,
            message_thread_id=thread_id,
            is_topic_message=True,
            reply_to_message=created,
            entities=[{"type": "mention", "offset": 0, "length": len(BOT_USERNAME) + 1}],
        ),
    }


def sticker(update_id: int = 9, message_id: int = 12) -> JSON:
    """A sticker in a private chat."""
    return {
        "update_id": update_id,
        "message": _message(
            message_id,
            PRIVATE_CHAT,
            sticker={
                "file_id": "CAACAgIAAxkBAAIBQ2V",
                "file_unique_id": "AgADxQADVp29Cg",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "😀",
                "set_name": "HotCherry",
            },
        ),
    }


def photo(update_id: int = 10, message_id: int = 13, caption: str | None = "what is this?") -> JSON:
    """A photo (several sizes) with an optional caption in a private chat."""
    sizes = [
        {
            "file_id": f"AgACAgQAAxkBAAIC{w}",
            "file_unique_id": f"AQAD{w}",
            "width": w,
            "height": w * 3 // 4,
            "file_size": w * 90,
        }
        for w in (90, 320, 800)
    ]
    fields: JSON = {"photo": sizes}
    if caption is not None:
        fields["caption"] = caption
    return {"update_id": update_id, "message": _message(message_id, PRIVATE_CHAT, **fields)}


def voice(update_id: int = 11, message_id: int = 14) -> JSON:
    """A voice note in a private chat."""
    return {
        "update_id": update_id,
        "message": _message(
            message_id,
            PRIVATE_CHAT,
            voice={
                "file_id": "AwACAgQAAxkB",
                "file_unique_id": "AgADvQ",
                "duration": 3,
                "mime_type": "audio/ogg",
                "file_size": 8000,
            },
        ),
    }


def document(update_id: int = 12, message_id: int = 15) -> JSON:
    """A document in a private chat."""
    return {
        "update_id": update_id,
        "message": _message(
            message_id,
            PRIVATE_CHAT,
            document={
                "file_id": "BQACAgQAAxkB",
                "file_unique_id": "AgADwQ",
                "file_name": "notes.pdf",
                "mime_type": "application/pdf",
                "file_size": 1234,
            },
        ),
    }


def edited(update_id: int = 13, message_id: int = 10, text: str = "Hello there!") -> JSON:
    """An edit of an earlier private message."""
    msg = _message(message_id, PRIVATE_CHAT, text=text, edit_date=DATE + 30)
    return {"update_id": update_id, "edited_message": msg}


def callback_query(update_id: int = 14, data: str = "fb:up:42", query_id: str = "4382bfdwdsb323b2d9") -> JSON:
    """A press on an inline button under one of the bot's messages in a private chat."""
    bot_msg = _message(
        16,
        PRIVATE_CHAT,
        sender=BOT_USER,
        text="Plants make food from light.",
        reply_markup={
            "inline_keyboard": [
                [
                    {"text": "👍", "callback_data": "fb:up:42"},
                    {"text": "👎", "callback_data": "fb:down:42"},
                ]
            ]
        },
    )
    return {
        "update_id": update_id,
        "callback_query": {
            "id": query_id,
            "from": dict(ANA),
            "message": bot_msg,
            "chat_instance": "-8253119436373491",
            "data": data,
        },
    }


def channel_post(update_id: int = 15, message_id: int = 40) -> JSON:
    """A post in a channel the bot administers."""
    return {
        "update_id": update_id,
        "channel_post": _message(
            message_id, CHANNEL_CHAT, sender=None, sender_chat=dict(CHANNEL_CHAT), text="News!"
        ),
    }


def blocked_by_user(update_id: int = 16) -> JSON:
    """``my_chat_member``: the user blocked the bot in their private chat."""
    member = {"user": dict(BOT_USER), "status": "member"}
    return {
        "update_id": update_id,
        "my_chat_member": {
            "chat": dict(PRIVATE_CHAT),
            "from": dict(ANA),
            "date": DATE,
            "old_chat_member": member,
            "new_chat_member": {"user": dict(BOT_USER), "status": "kicked", "until_date": 0},
        },
    }


def new_member_service(update_id: int = 17, message_id: int = 25) -> JSON:
    """A service message: someone joined the group."""
    return {
        "update_id": update_id,
        "message": _message(message_id, GROUP_CHAT, sender=BEN, new_chat_members=[dict(BEN)]),
    }


# A Chinese-speaking user (Telegram sends the client's language as ``language_code``).
XIAOMING: JSON = {"id": 333333333, "is_bot": False, "first_name": "小明", "language_code": "zh-hans"}
XIAOMING_CHAT: JSON = {"id": XIAOMING["id"], "first_name": "小明", "type": "private"}


def zh_text(update_id: int, text: str, message_id: int) -> JSON:
    """A text message from 小明 in his private chat."""
    return {"update_id": update_id,
            "message": _message(message_id, XIAOMING_CHAT, sender=XIAOMING, text=text)}


def zh_command(update_id: int, command: str, message_id: int) -> JSON:
    """A command from 小明 (``/start``: the text carries no language, ``language_code`` does)."""
    return {"update_id": update_id, "message": _message(
        message_id, XIAOMING_CHAT, sender=XIAOMING, text=command,
        entities=[{"type": "bot_command", "offset": 0, "length": len(command.split()[0])}])}


def zh_group_mention(update_id: int, text: str, message_id: int) -> JSON:
    """小明 mentions the bot in a group, in Chinese (entity offsets in UTF-16 units)."""
    mention = f"@{BOT_USERNAME}"
    return {"update_id": update_id, "message": _message(
        message_id, GROUP_CHAT, sender=XIAOMING, text=f"{mention} {text}",
        entities=[{"type": "mention", "offset": 0, "length": len(mention)}])}


def zh_sticker(update_id: int, message_id: int) -> JSON:
    """A sticker from 小明."""
    return {"update_id": update_id, "message": _message(
        message_id, XIAOMING_CHAT, sender=XIAOMING,
        sticker={"file_id": "CAACAgIAAxkBAAIBzh", "file_unique_id": "AgADzh", "type": "regular",
                 "width": 512, "height": 512, "is_animated": False, "is_video": False,
                 "emoji": "🐱"})}


def zh_callback(update_id: int, data: str, query_id: str) -> JSON:
    """小明 presses a button under one of the bot's messages."""
    bot_msg = _message(90, XIAOMING_CHAT, sender=BOT_USER, text="…")
    return {"update_id": update_id, "callback_query": {
        "id": query_id, "from": dict(XIAOMING), "message": bot_msg,
        "chat_instance": "-1234567890", "data": data}}
