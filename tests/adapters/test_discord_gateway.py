"""Raw gateway payloads through ``ConnectionState.parse_message_create``, answered for real.

The bot is the real :class:`BotcoreClient` logged in against :class:`FakeDiscord` (REST on
127.0.0.1 through ``Route.BASE``) with the real dialogue manager on SQLite and the instant model;
only Discord itself is fake, at its HTTP seam.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import discord

from adapters.discord.client import BotcoreClient
from adapters.discord.normalize import to_incoming
from botcore.runtime import Runtime, open_runtime
from tests.adapters.discord_payloads import (
    ANA,
    BEN,
    BOT_USER,
    CHANNEL,
    DM,
    GID,
    OTHER_BOT,
    OTHER_CHANNEL,
    THREAD,
    TOKEN,
    FakeDiscord,
    SlowExecutor,
    attachment,
    button_press,
    gateway,
    make_settings,
    message,
    settle,
    snowflake,
    start_bot,
)


async def deliver(client: BotcoreClient, *payloads: dict[str, Any]) -> None:
    for payload in payloads:
        gateway(client).parse_message_create(payload)
    await settle()


def posts(fake: FakeDiscord, channel: int) -> Sequence[dict[str, Any]]:
    """The bot's messages in a channel as they finally read (streamed previews edited)."""
    return fake.final(channel)


async def test_dm_is_answered_without_pings(bot: BotcoreClient, fake: FakeDiscord) -> None:
    await deliver(bot, message(channel_id=DM, author=ANA, content="hello there"))
    (call,) = posts(fake, DM)
    assert call["content"] == "You said: hello there"
    assert call["allowed_mentions"] == {"parse": []}  # no pings (replied_user absent: false)
    assert "message_reference" not in call  # no reply quote in a private chat
    assert {c.authorization for c in fake.calls} == {f"Bot {TOKEN}"}
    assert fake.find("POST", rf"/api/v10/channels/{DM}/typing"), "typing indicator shown"


async def test_guild_message_needs_a_mention(bot: BotcoreClient, fake: FakeDiscord) -> None:
    await deliver(bot, message(channel_id=CHANNEL, guild_id=GID, author=ANA, content="hi all"))
    assert posts(fake, CHANNEL) == []

    mention = message(
        channel_id=CHANNEL,
        guild_id=GID,
        author=ANA,
        content=f"<@{BOT_USER['id']}> what is a prime?",
        mentions=(BOT_USER,),
    )
    await deliver(bot, mention)
    (call,) = posts(fake, CHANNEL)
    assert call["content"] == "You said: what is a prime?"  # mention stripped
    assert call["message_reference"]["message_id"] == int(mention["id"])
    assert call["allowed_mentions"] == {"parse": []}  # the reply does not ping ana


async def test_everyone_does_not_address_the_bot_and_is_neutralized(
    bot: BotcoreClient, fake: FakeDiscord
) -> None:
    await deliver(bot, message(channel_id=CHANNEL, guild_id=GID, author=ANA, content="@everyone hi"))
    assert posts(fake, CHANNEL) == []
    await deliver(bot, message(channel_id=DM, author=ANA, content="say @everyone and @here"))
    (call,) = posts(fake, DM)
    assert "@everyone" not in call["content"] and "@here" not in call["content"]
    assert "@\u200beveryone" in call["content"]
    assert call["allowed_mentions"]["parse"] == []


async def test_enabled_channel_answers_without_mention(
    bot: BotcoreClient, fake: FakeDiscord, runtime: Runtime
) -> None:
    await runtime.long_term.set_chat_settings("discord", str(GID), {"enabled_channels": [str(CHANNEL)]})
    await deliver(
        bot,
        message(channel_id=CHANNEL, guild_id=GID, author=ANA, content="question one"),
        message(channel_id=OTHER_CHANNEL, guild_id=GID, author=ANA, content="chatter"),
        message(channel_id=THREAD, guild_id=GID, author=BEN, content="in the thread"),
    )
    assert [c["content"] for c in posts(fake, CHANNEL)] == ["You said: question one"]
    assert posts(fake, OTHER_CHANNEL) == []
    # a thread of an enabled channel is enabled; the answer goes into the thread
    assert [c["content"] for c in posts(fake, THREAD)] == ["You said: in the thread"]


async def test_thread_is_its_own_conversation(bot: BotcoreClient, fake: FakeDiscord) -> None:
    payload = message(
        channel_id=THREAD,
        guild_id=GID,
        author=ANA,
        content=f"<@{BOT_USER['id']}> thread question",
        mentions=(BOT_USER,),
    )
    thread_channel: Any = bot.get_channel(THREAD)
    data: Any = payload
    parsed = discord.Message(state=gateway(bot), channel=thread_channel, data=data)
    assert bot.user is not None
    incoming = to_incoming(parsed, bot.user)
    assert incoming is not None
    assert (incoming.chat_id, incoming.thread_id) == (str(CHANNEL), str(THREAD))
    assert incoming.conversation_key().thread_id == str(THREAD)
    await deliver(bot, payload)
    assert [c["content"] for c in posts(fake, THREAD)] == ["You said: thread question"]
    assert posts(fake, CHANNEL) == []


async def test_duplicate_delivery_is_answered_once(bot: BotcoreClient, fake: FakeDiscord) -> None:
    payload = message(channel_id=DM, author=ANA, content="only once please")
    await deliver(bot, payload, dict(payload))
    await deliver(bot, dict(payload))
    assert len(posts(fake, DM)) == 1


async def test_bots_webhooks_and_self_are_ignored(bot: BotcoreClient, fake: FakeDiscord) -> None:
    await deliver(
        bot,
        message(channel_id=DM, author=OTHER_BOT, content="beep"),
        message(channel_id=DM, author=BOT_USER, content="my own echo"),
        message(channel_id=DM, author=ANA, content="hook", webhook_id=snowflake()),
        message(channel_id=DM, author=ANA, content="pinned", message_type=6),  # system message
    )
    assert posts(fake, DM) == []


async def test_attachment_gets_a_polite_reply(bot: BotcoreClient, fake: FakeDiscord) -> None:
    await deliver(
        bot,
        message(channel_id=DM, author=ANA, content="", attachments=(attachment("cat.png", "image/png"),)),
    )
    (call,) = posts(fake, DM)
    assert call["content"] and "You said" not in call["content"]


async def test_long_reply_is_split_with_code_block_intact(bot: BotcoreClient, fake: FakeDiscord) -> None:
    code = "".join(f"print({i})\n" for i in range(330))
    await deliver(bot, message(channel_id=DM, author=ANA, content=f"```python\n{code}```"))
    texts = [c["content"] for c in posts(fake, DM)]
    assert len(texts) >= 2
    assert all(len(t) <= 2000 and t.count("```") % 2 == 0 for t in texts)
    assert texts[1].startswith("```python\n")
    lines = [ln for t in texts for ln in t.splitlines() if ln.startswith("print(")]
    assert lines == code.splitlines()
    # only the last chunk carries the feedback buttons
    assert [bool(c.get("components")) for c in posts(fake, DM)][-1]
    assert not any(c.get("components") for c in posts(fake, DM)[:-1])


async def test_429_on_send_is_waited_out(bot: BotcoreClient, fake: FakeDiscord) -> None:
    fake.rate_limit_once("POST", rf"/api/v10/channels/{DM}/messages", retry_after=0.4)
    started = time.monotonic()
    await deliver(bot, message(channel_id=DM, author=ANA, content="are you there"))
    attempts = fake.find("POST", rf"/api/v10/channels/{DM}/messages")
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.35
    assert attempts[1].json == attempts[0].json, "the same message, retried"
    assert fake.transcript(DM) == ["You said: are you there"]
    assert time.monotonic() - started >= 0.4


async def test_feedback_buttons_round_trip(bot: BotcoreClient, fake: FakeDiscord) -> None:
    await deliver(bot, message(channel_id=DM, author=ANA, content="rate me"))
    (call,) = posts(fake, DM)
    (row,) = call["components"]
    ids = [button["custom_id"] for button in row["components"]]
    assert len(ids) == 2 and all(i.startswith("bc:fb:") for i in ids)
    channel = {"id": str(DM), "type": 1, "recipients": [ANA]}
    press = button_press(ids[0], channel=channel, author=ANA, message_id=int(call["id"]))
    gateway(bot).parse_interaction_create(press)
    await settle()
    (ack,) = fake.find("POST", rf"/api/v10/interactions/{press['id']}/[^/]+/callback")
    assert ack.json["type"] == 6  # deferred update: no "thinking" message for a button
    (followup,) = fake.find("POST", rf"/api/v10/webhooks/\d+/{press['token']}")
    assert followup.json["content"] == "Thanks for the feedback!"
    assert ack.at <= followup.at


async def test_edit_is_answered_once_per_change(bot: BotcoreClient, fake: FakeDiscord) -> None:
    original = message(channel_id=DM, author=ANA, content="tell me about owls")
    await deliver(bot, original)
    edit = {
        **original,
        "content": "tell me about cats",
        "edited_timestamp": discord.utils.utcnow().isoformat(),
    }
    gateway(bot).parse_message_update(edit)
    await settle()
    gateway(bot).parse_message_update(dict(edit))  # the gateway redelivers the same edit
    await settle()
    embed_only = {**edit, "embeds": [{"type": "link", "url": "https://x.example"}]}
    gateway(bot).parse_message_update(embed_only)  # text unchanged: a link preview
    await settle()
    assert [c["content"] for c in posts(fake, DM)] == [
        "You said: tell me about owls",
        "You said: tell me about cats",
    ]


async def test_streaming_edits_are_throttled(fake: FakeDiscord, tmp_path: Path) -> None:
    words = " ".join(f"w{i}" for i in range(30))
    async with open_runtime(make_settings(tmp_path), executor=SlowExecutor(0.03)) as rt:
        client = await start_bot(rt)
        try:
            started = time.monotonic()
            await deliver(client, message(channel_id=DM, author=ANA, content=words))
            elapsed = time.monotonic() - started
        finally:
            await client.close()
    created = posts(fake, DM)
    assert len(created) == 1, "one message, streamed into"
    edits = fake.find("PATCH", rf"/api/v10/channels/{DM}/messages/\d+")
    assert edits, "the preview was edited"
    # at most one edit per interval (0.2 s) plus the final render
    assert len(edits) <= elapsed / 0.2 + 2
    gaps = [b.at - a.at for a, b in itertools.pairwise(edits[:-1])]
    assert all(gap >= 0.15 for gap in gaps)
    assert fake.transcript(DM) == [f"You said: {words}"]
    assert edits[-1].json.get("components"), "buttons arrive with the final text"


async def test_drain_lets_a_running_turn_finish(fake: FakeDiscord, tmp_path: Path) -> None:
    async with open_runtime(make_settings(tmp_path), executor=SlowExecutor(0.05)) as rt:
        client = await start_bot(rt)
        try:
            gateway(client).parse_message_create(
                message(channel_id=DM, author=ANA, content="one two three four five six")
            )
            await asyncio.sleep(0.1)
            assert client.inflight == 1
            await client.drain(10)
            assert fake.transcript(DM) == ["You said: one two three four five six"]
            gateway(client).parse_message_create(message(channel_id=DM, author=ANA, content="too late"))
            await settle()  # not answered, but not lost without a word either
            assert fake.transcript(DM) == [
                "You said: one two three four five six",
                "I was restarting — please send that again.",
            ]
        finally:
            await client.close()
