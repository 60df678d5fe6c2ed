"""Private answers asked for in groups (#12 item 2), through the real adapters and the real
dialogue manager: Telegram sends a DM and says so in the group, or refuses when the user never
started a private chat; Discord answers ephemerally or by DM."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from adapters.base import HandlerRuntime
from adapters.discord.client import BotcoreClient
from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.bot import build_bot
from adapters.telegram.ratelimit import ChatRateLimiter
from botcore.runtime import Runtime, open_runtime
from tests.adapters import discord_payloads as d
from tests.adapters import telegram_payloads as p
from tests.adapters.fake_bot_api import FakeBotApi, RecordingRequest
from tests.conftest import make_settings

EPHEMERAL = 64


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    async with open_runtime(make_settings(tmp_path)) as rt:
        rt.settings.rate_limit_user = rt.settings.rate_limit_chat = 10_000
        yield rt


# Telegram --------------------------------------------------------------------------------------

@pytest.fixture
async def telegram(runtime: Runtime, tmp_path: Path) -> AsyncIterator[tuple[TelegramAdapter, FakeBotApi]]:
    api = FakeBotApi()
    request = RecordingRequest(api)
    bot = build_bot(p.TOKEN, request=request, get_updates_request=request,
                    rate_limiter=ChatRateLimiter(per_chat_interval=0.0))
    settings = make_settings(tmp_path, telegram_token=p.TOKEN)
    adapter = TelegramAdapter(HandlerRuntime(settings, runtime.manager, runtime.long_term), bot=bot,
                              outbox=False)
    await adapter.start()
    api.calls.clear()
    yield adapter, api
    await adapter.bot.shutdown()


def group_command(update_id: int, text: str, sender: dict[str, Any] = p.ANA) -> dict[str, Any]:
    cmd = text.split()[0]
    return {"update_id": update_id, "message": p._message(
        100 + update_id, p.GROUP_CHAT, sender=sender, text=text,
        entities=[{"type": "bot_command", "offset": 0, "length": len(cmd)}])}


async def feed(adapter: TelegramAdapter, payload: dict[str, Any]) -> None:
    update = Update.de_json(payload, adapter.bot)
    assert update is not None
    await adapter.submit(update)


def sent_to(api: FakeBotApi, chat: int) -> list[str]:
    return [c.params.get("text", "") for c in api.of("sendMessage")
            if int(c.params["chat_id"]) == chat]


@pytest.mark.parametrize("command", ["/memory", "/export", "/forget"])
async def test_telegram_group_command_is_answered_by_dm(
        telegram: tuple[TelegramAdapter, FakeBotApi], command: str) -> None:
    adapter, api = telegram
    await feed(adapter, {"update_id": 1, "message": p._message(
        5, p.GROUP_CHAT, text=f"@{p.BOT_USERNAME} I love secret gardens",
        entities=[{"type": "mention", "offset": 0, "length": len(p.BOT_USERNAME) + 1}])})
    api.calls.clear()
    await feed(adapter, group_command(2, f"{command}@{p.BOT_USERNAME}"))
    group = sent_to(api, p.GROUP_CHAT["id"])
    assert group == ["I sent it to you privately."]
    in_group = json.dumps([c.params for c in api.calls if
                           int(c.params.get("chat_id", 0)) == p.GROUP_CHAT["id"]])
    assert "gardens" not in in_group and "remember" not in in_group and "erase" not in in_group
    dm = [c for c in api.calls if int(c.params.get("chat_id", 0)) == p.ANA["id"]
          and c.method in {"sendMessage", "sendDocument"}]
    assert dm, "the answer went to Ana's private chat"


async def test_telegram_refuses_when_the_user_never_started_a_private_chat(
        telegram: tuple[TelegramAdapter, FakeBotApi]) -> None:
    adapter, api = telegram
    api.fail_next("sendMessage", 403, "Forbidden: bot can't initiate conversation with a user")
    await feed(adapter, group_command(3, "/memory"))
    group = sent_to(api, p.GROUP_CHAT["id"])
    assert len(group) == 1 and "can't message you privately" in group[0]


# Discord ---------------------------------------------------------------------------------------

@pytest.fixture
async def client(fake: d.FakeDiscord, runtime: Runtime) -> AsyncIterator[BotcoreClient]:
    bot = await d.start_bot(runtime)
    yield bot
    await bot.close()


async def test_discord_ask_export_in_a_channel_is_ephemeral(
        client: BotcoreClient, fake: d.FakeDiscord) -> None:
    payload = d.slash("ask", [d.option("question", "/export")],
                      channel=d.text_channel(d.CHANNEL, d.GID), author=d.ANA)
    d.gateway(client).parse_interaction_create(payload)
    await d.settle()
    (defer,) = fake.find("POST", rf"/api/v10/interactions/{payload['id']}/[^/]+/callback")
    assert defer.json["data"]["flags"] & EPHEMERAL
    followups = fake.find("POST", rf"/api/v10/webhooks/{d.APP_ID}/{payload['token']}")
    assert followups and all(f.json["flags"] & EPHEMERAL for f in followups)
    assert fake.sent_messages(d.CHANNEL) == []


@pytest.mark.parametrize("closed", [False, True])
async def test_discord_mention_memory_in_a_channel_goes_by_dm(
        client: BotcoreClient, fake: d.FakeDiscord, closed: bool) -> None:
    mention = f"<@{d.BOT_USER['id']}>"
    d.gateway(client).parse_message_create(d.message(
        channel_id=d.CHANNEL, guild_id=d.GID, author=d.ANA, mentions=(d.BOT_USER,),
        content=f"{mention} I love secret gardens"))
    await d.settle()
    if closed:
        fake.dm_closed.add(d.ANA["id"])
    before = len(fake.sent_messages(d.CHANNEL))
    d.gateway(client).parse_message_create(d.message(
        channel_id=d.CHANNEL, guild_id=d.GID, author=d.ANA, mentions=(d.BOT_USER,),
        content=f"{mention} /memory"))
    await d.settle()
    channel = [c.json["content"] for c in fake.sent_messages(d.CHANNEL)[before:]]
    assert len(channel) == 1 and "gardens" not in channel[0]
    dms = [c for cid in fake.dms for c in fake.sent_messages(cid)]
    if closed:
        assert "can't message you privately" in channel[0] and not dms
    else:
        assert channel[0] == "I sent it to you privately."
        assert any("gardens" in c.json["content"] for c in dms)


async def test_discord_forget_in_a_channel_stays_between_the_bot_and_the_user(
        client: BotcoreClient, fake: d.FakeDiscord, runtime: Runtime) -> None:
    channel = d.text_channel(d.CHANNEL, d.GID)
    ask_ = d.slash("ask", [d.option("question", "/forget")], channel=channel, author=d.ANA)
    d.gateway(client).parse_interaction_create(ask_)
    await d.settle()
    (question,) = fake.find("POST", rf"/api/v10/webhooks/{d.APP_ID}/{ask_['token']}")
    assert question.json["flags"] & EPHEMERAL
    yes = question.json["components"][0]["components"][0]["custom_id"]
    other = d.button_press(yes, channel=channel, author=d.BEN, message_id=1)
    d.gateway(client).parse_interaction_create(other)
    await d.settle()
    (refused,) = fake.find("POST", rf"/api/v10/webhooks/{d.APP_ID}/{other['token']}")
    assert "someone else" in refused.json["content"]
    await runtime.long_term.ensure_user("discord", str(d.ANA["id"]))
    press = d.button_press(yes, channel=channel, author=d.ANA, message_id=1)
    d.gateway(client).parse_interaction_create(press)
    await d.settle()
    (done,) = fake.find("POST", rf"/api/v10/webhooks/{d.APP_ID}/{press['token']}")
    assert done.json["content"].startswith("Done. I erased") and done.json["flags"] & EPHEMERAL
    assert await runtime.long_term.get_user("discord", str(d.ANA["id"])) is None
    assert fake.sent_messages(d.CHANNEL) == []
