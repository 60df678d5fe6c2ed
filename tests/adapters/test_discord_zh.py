"""Chinese on Discord: raw gateway payloads (``parse_message_create``) and slash commands with a
Chinese client locale, through the real dialogue manager (SQLite, instant model); Discord is faked
at its HTTP seam."""

from __future__ import annotations

from typing import Any

from adapters.discord.client import BotcoreClient
from botcore.runtime import Runtime
from tests.adapters.discord_payloads import (
    ANA,
    APP_ID,
    BOT_USER,
    CHANNEL,
    DM,
    GID,
    FakeDiscord,
    dm_channel,
    gateway,
    message,
    settle,
    slash,
)


async def say(client: BotcoreClient, runtime: Runtime, payload: dict[str, Any]) -> None:
    gateway(client).parse_message_create(payload)
    await settle()
    await runtime.manager.aclose()  # background fact extraction done


async def test_a_chinese_dm_and_mention_are_answered_from_memory(
        bot: BotcoreClient, fake: FakeDiscord, runtime: Runtime) -> None:
    await say(bot, runtime, message(channel_id=DM, author=ANA,
                                    content="你好，我叫小明，我养了一只猫叫咪咪。"))
    await say(bot, runtime, message(channel_id=DM, author=ANA, content="我的猫叫什么名字？"))
    assert fake.final(DM)[-1]["content"] == "你的猫叫咪咪。"
    await say(bot, runtime, message(channel_id=DM, author=ANA, content="12+5"))
    await say(bot, runtime, message(channel_id=DM, author=ANA, content="/help"))
    assert fake.final(DM)[-1]["content"].startswith("我可以做这些事")
    mention = message(channel_id=CHANNEL, guild_id=GID, author=ANA,
                      content=f"<@{BOT_USER['id']}> 我的猫叫什么名字？", mentions=(BOT_USER,))
    await say(bot, runtime, mention)
    # what was said in the DM stays there: the channel answer does not quote it
    assert fake.final(CHANNEL)[-1]["content"] == "你还没跟我说过你的猫。"
    told = message(channel_id=CHANNEL, guild_id=GID, author=ANA,
                   content=f"<@{BOT_USER['id']}> 我的狗叫豆豆。", mentions=(BOT_USER,))
    await say(bot, runtime, told)
    ask = message(channel_id=CHANNEL, guild_id=GID, author=ANA,
                  content=f"<@{BOT_USER['id']}> 我的狗叫什么名字？", mentions=(BOT_USER,))
    await say(bot, runtime, ask)
    assert fake.final(CHANNEL)[-1]["content"] == "你的狗叫豆豆。"


async def test_slash_commands_answer_in_the_client_locale(
        bot: BotcoreClient, fake: FakeDiscord) -> None:
    payload = slash("help", channel=dm_channel(DM, ANA), author=ANA)
    payload["locale"] = "zh-CN"
    gateway(bot).parse_interaction_create(payload)
    await settle()
    (answer,) = fake.find("POST", rf"/api/v10/webhooks/{APP_ID}/{payload['token']}")
    assert answer.json["content"].startswith("我可以做这些事")


async def test_command_descriptions_are_synced_in_chinese_too(
        bot: BotcoreClient, fake: FakeDiscord) -> None:
    (sync,) = fake.find("PUT", rf"/api/v10/applications/{APP_ID}/commands")
    commands = {c["name"]: c for c in sync.json}
    assert commands["help"]["description"] == "What I can do"
    assert commands["help"]["description_localizations"] == {"zh-CN": "我能做什么"}
    ask_option = commands["ask"]["options"][0]
    assert ask_option["description_localizations"] == {"zh-CN": "你的问题或消息"}
