"""``discord.Message`` → ``IncomingMessage``: real discord.py objects parsed from payloads."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from adapters.discord.normalize import attachment_kind, readable_text, to_incoming
from botcore.messages import AttachmentKind, ChatType
from tests.adapters.discord_payloads import (
    ANA,
    BEN,
    BOT_USER,
    CHANNEL,
    DM,
    GID,
    THREAD,
    attachment,
    guild,
    message,
    text_channel,
    thread,
)


@pytest.fixture
def state() -> Any:
    """A bare client's ConnectionState holding one guild (no network involved)."""
    client = discord.Client(intents=discord.Intents.none())
    conn: Any = client._connection
    conn.user = discord.ClientUser(state=conn, data=BOT_USER)  # type: ignore[arg-type]
    conn.parse_guild_create(
        guild(GID, channels=[text_channel(CHANNEL, GID)], threads=[thread(THREAD, GID, CHANNEL)])
    )
    return conn


def parse(state: Any, payload: Any) -> discord.Message:
    channel, _guild = state._get_guild_channel(payload)
    return discord.Message(state=state, channel=channel, data=payload)


def test_dm(state: Any) -> None:
    msg = to_incoming(parse(state, message(channel_id=DM, author=ANA, content="hi")), state.user)
    assert msg is not None
    assert (msg.platform, msg.chat_type, msg.chat_id, msg.user_id) == (
        "discord", ChatType.PRIVATE, str(DM), ANA["id"],
    )  # fmt: skip
    assert msg.addressed and msg.user_name == "Ana" and msg.thread_id is None


def test_guild_mentions_become_readable(state: Any) -> None:
    payload = message(
        channel_id=CHANNEL,
        guild_id=GID,
        author=ANA,
        content=f"<@!{BOT_USER['id']}> ask <@{BEN['id']}> in <#{CHANNEL}>",
        mentions=(BOT_USER, BEN),
    )
    msg = to_incoming(parse(state, payload), state.user)
    assert msg is not None and msg.addressed and msg.chat_type is ChatType.GROUP
    assert msg.text == "ask @Ben in #general"
    assert readable_text(parse(state, payload), state.user) == msg.text


def test_reply_reference_and_edit_flag(state: Any) -> None:
    payload = message(channel_id=DM, author=ANA, content="again", edited=True)
    payload["message_reference"] = {"message_id": "123", "channel_id": str(DM)}
    payload["type"] = 19  # a reply
    msg = to_incoming(parse(state, payload), state.user, edited=True)
    assert msg is not None
    assert msg.edited and msg.reply_to_message_id == "123" and msg.message_id == payload["id"]


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("image/png", AttachmentKind.PHOTO),
        ("audio/ogg", AttachmentKind.AUDIO),
        ("video/mp4", AttachmentKind.VIDEO),
        ("application/pdf", AttachmentKind.DOCUMENT),
        (None, AttachmentKind.DOCUMENT),
    ],
)
def test_attachment_kinds(state: Any, content_type: str | None, kind: AttachmentKind) -> None:
    data = attachment("file.bin", content_type or "")
    if content_type is None:
        del data["content_type"]
    assert attachment_kind(discord.Attachment(data=data, state=state)) is kind  # type: ignore[arg-type]


def test_voice_message_and_sticker(state: Any) -> None:
    voice = attachment("voice-message.ogg", "audio/ogg")
    voice.update(duration_secs=3.5, waveform="AAAA")
    payload = message(channel_id=DM, author=ANA, content="", attachments=(voice,))
    payload["flags"] = 1 << 13  # IS_VOICE_MESSAGE
    payload["sticker_items"] = [{"id": "5", "name": "wave", "format_type": 1}]
    msg = to_incoming(parse(state, payload), state.user)
    assert msg is not None
    assert [a.kind for a in msg.attachments] == [AttachmentKind.VOICE, AttachmentKind.STICKER]
