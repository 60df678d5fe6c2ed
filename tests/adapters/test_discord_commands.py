"""Slash commands and buttons: real ``discord.Interaction`` objects built from gateway payloads.

Each payload goes through ``ConnectionState.parse_interaction_create`` (so discord.py's command tree
parses the options and calls our handler); the fake Discord records the deferral (the interaction
callback) and the followups (webhook calls). The dialogue manager behind them is the real one.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import discord

from adapters.discord.client import BotcoreClient
from botcore.dialogue import command_registry as registry
from botcore.runtime import Runtime, open_runtime
from tests.adapters.discord_payloads import (
    ANA,
    APP_ID,
    BEN,
    BOT_USER,
    CHANNEL,
    DM,
    GID,
    Call,
    FakeDiscord,
    SlowExecutor,
    button_press,
    dm_channel,
    gateway,
    make_settings,
    message,
    option,
    settle,
    slash,
    start_bot,
    subcommand,
    text_channel,
)

MANAGE_GUILD = discord.Permissions(manage_guild=True).value
EPHEMERAL = 64


GUILD_CHANNEL = text_channel(CHANNEL, GID)
DM_CHANNEL = dm_channel(DM, ANA)


async def invoke(client: BotcoreClient, payload: dict[str, Any]) -> None:
    gateway(client).parse_interaction_create(payload)
    await settle()


def deferral(fake: FakeDiscord, payload: dict[str, Any]) -> Call:
    (call,) = fake.find("POST", rf"/api/v10/interactions/{payload['id']}/[^/]+/callback")
    return call


def followups(fake: FakeDiscord, payload: dict[str, Any]) -> list[Call]:
    return fake.find("POST", rf"/api/v10/webhooks/{APP_ID}/{payload['token']}")


async def test_commands_are_synced_at_login(bot: BotcoreClient, fake: FakeDiscord) -> None:
    (sync,) = fake.find("PUT", rf"/api/v10/applications/{APP_ID}/commands")
    commands = {c["name"]: c for c in sync.json}
    assert list(commands) == ["ask", *(c.name for c in registry.menu())]  # declared once
    assert {"mode", "quiz", "faq", "forget", "export", "memory", "help", "settings", "link",
            "consent", "progress", "hint", "reset"} <= set(commands)  # fmt: skip
    settings = commands["settings"]
    assert int(settings["default_member_permissions"]) == MANAGE_GUILD
    assert settings["contexts"] == [0]  # guild only
    assert {o["name"] for o in settings["options"]} == {"show", "channel", "persona", "skill",
                                                       "skills", "memory"}  # fmt: skip
    mode_choices = commands["mode"]["options"][0]["choices"]
    assert [c["value"] for c in mode_choices] == ["auto", "companion", "tutor", "faq", "assistant"]


async def test_ask_defers_then_answers_by_followup(bot: BotcoreClient, fake: FakeDiscord) -> None:
    payload = slash("ask", [option("question", "tell me about owls")], channel=GUILD_CHANNEL, author=ANA)
    await invoke(bot, payload)
    defer = deferral(fake, payload)
    assert defer.json["type"] == 5  # deferred channel message: "Botcore is thinking…"
    assert not defer.json.get("data", {}).get("flags", 0) & EPHEMERAL
    (answer,) = followups(fake, payload)
    assert answer.json["content"] == "You said: tell me about owls"
    assert answer.json["allowed_mentions"] == {"parse": []}
    assert answer.json["components"], "feedback buttons on the answer"
    assert defer.at <= answer.at
    assert fake.sent_messages() == [], "nothing bypasses the interaction"


async def test_defer_comes_before_a_slow_answer(fake: FakeDiscord, tmp_path: Path) -> None:
    async with open_runtime(make_settings(tmp_path), executor=SlowExecutor(0.2)) as rt:
        client = await start_bot(rt)
        try:
            payload = slash("ask", [option("question", "one two three four five")],
                            channel=GUILD_CHANNEL, author=ANA)  # fmt: skip
            loop_time = asyncio.get_running_loop().time()  # the clock of Call.at
            await invoke(client, payload)
        finally:
            await client.close()
    defer = deferral(fake, payload)
    (answer,) = followups(fake, payload)
    assert defer.at - loop_time < 1.0, "deferred at once, far inside Discord's 3 s"
    assert answer.at - defer.at >= 1.0, "the answer came later, as a followup"
    assert answer.json["content"] == "You said: one two three four five"


async def test_mode_routes_as_a_text_command(bot: BotcoreClient, fake: FakeDiscord) -> None:
    payload = slash("mode", [option("skill", "tutor")], channel=GUILD_CHANNEL, author=ANA)
    await invoke(bot, payload)
    (answer,) = followups(fake, payload)
    assert "tutor" in answer.json["content"].lower()


async def test_export_is_an_ephemeral_json_file(bot: BotcoreClient, fake: FakeDiscord) -> None:
    await invoke(bot, slash("ask", [option("question", "remember me")], channel=DM_CHANNEL,
                            author=ANA))  # fmt: skip
    payload = slash("export", channel=DM_CHANNEL, author=ANA)
    await invoke(bot, payload)
    assert deferral(fake, payload).json["data"]["flags"] & EPHEMERAL
    (answer,) = followups(fake, payload)
    assert answer.json["flags"] & EPHEMERAL
    ((name, content),) = answer.files.items()
    assert name.endswith(".json")
    data = json.loads(content)
    assert f"discord:{ANA['id']}" in json.dumps(data["user"])
    assert "remember me" in json.dumps(data)


async def test_forget_asks_and_the_button_erases(
    bot: BotcoreClient, fake: FakeDiscord, runtime: Runtime
) -> None:
    await invoke(bot, slash("ask", [option("question", "hello")], channel=DM_CHANNEL, author=ANA))
    assert await runtime.long_term.get_user("discord", ANA["id"]) is not None
    payload = slash("forget", channel=DM_CHANNEL, author=ANA)
    await invoke(bot, payload)
    (question,) = followups(fake, payload)
    (row,) = question.json["components"]
    ids = [b["custom_id"] for b in row["components"]]
    assert [i.rsplit(":", 2)[0] for i in ids] == ["bc:forget:yes", "bc:forget:no"]
    press = button_press(ids[0], channel=DM_CHANNEL, author=ANA, message_id=1)
    await invoke(bot, press)
    (done,) = followups(fake, press)
    assert done.json["content"].startswith("Done. I erased everything")
    assert await runtime.long_term.get_user("discord", ANA["id"]) is None


async def test_settings_need_manage_guild(bot: BotcoreClient, fake: FakeDiscord, runtime: Runtime) -> None:
    args = [subcommand("channel", [option("enabled", True)])]
    refused = slash("settings", args, channel=GUILD_CHANNEL, author=BEN)
    await invoke(bot, refused)
    (answer,) = followups(fake, refused)
    assert "Manage Server" in answer.json["content"]
    assert answer.json["flags"] & EPHEMERAL
    assert await runtime.long_term.get_chat_settings("discord", str(GID)) == {}

    allowed = slash("settings", args, channel=GUILD_CHANNEL, author=BEN, permissions=MANAGE_GUILD)
    await invoke(bot, allowed)
    (answer,) = followups(fake, allowed)
    assert answer.json["content"].startswith("Saved.")
    stored = await runtime.long_term.get_chat_settings("discord", str(GID))
    assert stored["enabled_channels"] == [str(CHANNEL)]

    # now a message in that channel is answered without a mention
    gateway(bot).parse_message_create(
        message(channel_id=CHANNEL, guild_id=GID, author=ANA, content="no mention needed")
    )
    await settle()
    assert fake.transcript(CHANNEL) == ["You said: no mention needed"]


async def test_settings_persona_skill_and_memory_are_stored(
    bot: BotcoreClient, fake: FakeDiscord, runtime: Runtime
) -> None:
    for args in (
        [subcommand("persona", [option("text", "a patient maths tutor")])],
        [subcommand("skill", [option("skill", "tutor")])],
        [subcommand("memory", [option("scope", "shared")])],
    ):
        await invoke(bot, slash("settings", args, channel=GUILD_CHANNEL, author=BEN,
                                permissions=MANAGE_GUILD))  # fmt: skip
    assert await runtime.long_term.get_chat_settings("discord", str(GID)) == {
        "persona": "a patient maths tutor",
        "default_skill": "tutor",
        "memory_scope": "shared",
    }
    show = slash("settings", [subcommand("show")], channel=GUILD_CHANNEL, author=BEN,
                 permissions=MANAGE_GUILD)  # fmt: skip
    await invoke(bot, show)
    (answer,) = followups(fake, show)
    assert "a patient maths tutor" in answer.json["content"]
    reset = [subcommand("skill", [option("skill", "auto")])]
    await invoke(bot, slash("settings", reset, channel=GUILD_CHANNEL, author=BEN, permissions=MANAGE_GUILD))
    assert "default_skill" not in await runtime.long_term.get_chat_settings("discord", str(GID))


async def test_help_is_private_and_quiz_reaches_the_manager(bot: BotcoreClient, fake: FakeDiscord) -> None:
    help_ = slash("help", channel=GUILD_CHANNEL, author=ANA)
    await invoke(bot, help_)
    (answer,) = followups(fake, help_)
    assert answer.json["flags"] & EPHEMERAL and "/mode" in answer.json["content"]
    quiz = slash("quiz", [option("topic", "fractions")], channel=GUILD_CHANNEL, author=ANA)
    await invoke(bot, quiz)
    assert deferral(fake, quiz).json["type"] == 5
    (answer,) = followups(fake, quiz)
    assert answer.json["content"]


async def test_bot_mention_in_guild_is_not_pinged_back(bot: BotcoreClient, fake: FakeDiscord) -> None:
    payload = slash("ask", [option("question", f"hi <@{BOT_USER['id']}> and @everyone")],
                    channel=GUILD_CHANNEL, author=ANA)  # fmt: skip
    await invoke(bot, payload)
    (answer,) = followups(fake, payload)
    assert "@everyone" not in answer.json["content"]
    assert answer.json["allowed_mentions"] == {"parse": []}
