"""Real PTB ``Update`` objects (``Update.de_json`` on real payload shapes) → ``IncomingMessage``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from telegram import Bot, Update

from adapters.telegram.normalize import BotIdentity, membership_change, normalize
from botcore.messages import AttachmentKind, ChatType, IncomingMessage
from tests.adapters import telegram_payloads as p

ME = BotIdentity(p.BOT_ID, p.BOT_USERNAME)
BOT = Bot(p.TOKEN)


def _update(payload: dict[str, Any]) -> Update:
    update = Update.de_json(payload, BOT)
    assert update is not None
    return update


def _norm(payload: dict[str, Any]) -> IncomingMessage:
    msg = normalize(_update(payload), ME)
    assert msg is not None
    return msg


def test_private_text() -> None:
    msg = _norm(p.private_text(text="Hello there", message_id=10))
    assert (msg.platform, msg.message_id, msg.chat_id, msg.user_id) == (
        "telegram",
        "10",
        str(p.ANA["id"]),
        str(p.ANA["id"]),
    )
    assert msg.text == "Hello there"
    assert msg.chat_type is ChatType.PRIVATE and msg.addressed
    assert msg.user_name == "Ana Silva" and msg.language == "pt-br"
    assert msg.sent_at == p.DATE and not msg.edited and msg.thread_id is None


def test_private_command_is_addressed_and_a_command() -> None:
    msg = _norm(p.private_command(command="/mode tutor"))
    assert msg.text == "/mode tutor" and msg.is_command and msg.addressed


def test_group_mention_is_addressed_and_the_handle_is_stripped() -> None:
    msg = _norm(p.group_mention())
    assert msg.chat_type is ChatType.GROUP and msg.addressed
    assert msg.text == "what is photosynthesis?"
    assert msg.chat_id == str(p.GROUP_CHAT["id"]) and msg.user_id == str(p.BEN["id"])


def test_group_mention_of_the_bot_in_other_case_counts() -> None:
    payload = p.group_mention()
    payload["message"]["text"] = payload["message"]["text"].upper()
    assert _norm(payload).addressed


def test_group_reply_to_the_bot_is_addressed() -> None:
    msg = _norm(p.group_reply_to_bot())
    assert msg.addressed and msg.reply_to_message_id == "19"


def test_group_reply_to_someone_else_is_not_addressed() -> None:
    payload = p.group_reply_to_bot()
    payload["message"]["reply_to_message"]["from"] = dict(p.ANA)
    assert not _norm(payload).addressed


def test_group_message_not_addressed_is_still_delivered_unaddressed() -> None:
    msg = _norm(p.group_plain())
    assert not msg.addressed and msg.text == "see you all tomorrow"


def test_group_commands_for_us_and_for_other_bots() -> None:
    ours = _norm(p.group_command_for_us())
    assert ours.addressed and ours.text == "/quiz fractions"
    other = _norm(p.group_command_for_other_bot())
    assert not other.addressed


def test_forum_topic_keeps_its_thread_and_is_not_a_reply_to_the_bot() -> None:
    msg = _norm(p.forum_topic_message(thread_id=30))
    assert msg.thread_id == "30" and msg.addressed
    assert msg.reply_to_message_id is None
    other_topic = _norm(p.forum_topic_message(thread_id=77, message_id=78))
    assert msg.conversation_key() != other_topic.conversation_key()


def test_forum_topic_message_without_mention_is_not_addressed() -> None:
    payload = p.forum_topic_message()
    payload["message"]["text"] = "just chatting"
    payload["message"].pop("entities")
    assert not _norm(payload).addressed


@pytest.mark.parametrize(
    ("builder", "kind", "name", "text"),
    [
        (p.sticker, AttachmentKind.STICKER, "😀", ""),
        (p.photo, AttachmentKind.PHOTO, None, "what is this?"),
        (p.voice, AttachmentKind.VOICE, None, ""),
        (p.document, AttachmentKind.DOCUMENT, "notes.pdf", ""),
    ],
)
def test_media_become_attachments(
    builder: Callable[[], dict[str, Any]], kind: AttachmentKind, name: str | None, text: str
) -> None:
    msg = _norm(builder())
    assert [(a.kind, a.name) for a in msg.attachments] == [(kind, name)]
    assert msg.text == text and msg.addressed


def test_edited_message_is_flagged_with_the_same_id() -> None:
    msg = _norm(p.edited(message_id=10, text="Hello there!"))
    assert msg.edited and msg.message_id == "10" and msg.text == "Hello there!"
    assert msg.sent_at == p.DATE + 30


def test_callback_query_becomes_callback_data() -> None:
    msg = _norm(p.callback_query(data="fb:up:42", query_id="q-77"))
    assert msg.callback_data == "fb:up:42" and msg.message_id == "q-77"
    assert msg.text == "" and not msg.is_command and msg.addressed
    assert msg.reply_to_message_id == "16" and msg.chat_id == str(p.ANA["id"])


@pytest.mark.parametrize("builder", [p.channel_post, p.new_member_service, p.blocked_by_user])
def test_ignored_updates(builder: Callable[[], dict[str, Any]]) -> None:
    assert normalize(_update(builder()), ME) is None


def test_messages_from_other_bots_are_ignored() -> None:
    payload = p.group_mention()
    payload["message"]["from"]["is_bot"] = True
    assert normalize(_update(payload), ME) is None


def test_anonymous_admin_speaks_as_the_group() -> None:
    payload = p.group_mention()
    payload["message"]["from"] = {
        "id": 1087968824,
        "is_bot": True,
        "first_name": "Group",
        "username": "GroupAnonymousBot",
    }
    payload["message"]["sender_chat"] = dict(p.GROUP_CHAT)
    msg = _norm(payload)
    assert msg.user_id == str(p.GROUP_CHAT["id"]) and msg.addressed


def test_blocking_the_bot_is_a_membership_change() -> None:
    assert membership_change(_update(p.blocked_by_user())) == (str(p.ANA["id"]), False)
    assert membership_change(_update(p.private_text())) is None


def test_a_longer_handle_of_another_bot_is_neither_stripped_nor_addressed() -> None:
    payload = p.group_mention()
    text = f"@{p.BOT_USERNAME}2 hello"
    payload["message"]["text"] = text
    payload["message"]["entities"] = [{"type": "mention", "offset": 0, "length": len(text) - 6}]
    msg = _norm(payload)
    assert msg.text == text and not msg.addressed
