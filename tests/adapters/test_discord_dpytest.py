"""The Discord client under dpytest (discord.py's own test harness), with the real dialogue manager.

dpytest fakes the guild, members and channels inside discord.py's state and records what the bot
sends; it has no slash-command simulation (those are in test_discord_commands.py). Its fixture
must run ``_async_setup_hook`` before ``configure`` with discord.py 2.7.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import backend

from adapters.discord.client import BotcoreClient
from adapters.discord.guild_settings import GuildSettingsCache
from botcore.runtime import Runtime


@pytest.fixture
async def bot(runtime: Runtime) -> AsyncIterator[BotcoreClient]:
    client = BotcoreClient(
        runtime.manager,
        GuildSettingsCache(runtime.long_term),
        sync_commands=False,
        streaming=False,  # dpytest records sends; streamed edits are tested with raw payloads
        intents=discord.Intents.all(),
    )
    await client._async_setup_hook()
    dpytest.configure(client, text_channels=["general", "random"], members=["ana", "ben"])
    yield client
    await dpytest.empty_queue()


def mention(client: discord.Client) -> str:
    assert client.user is not None
    return f"<@{client.user.id}>"


async def test_dm_is_answered(bot: BotcoreClient) -> None:
    config = dpytest.get_config()
    dm = await config.members[0].create_dm()
    await dpytest.message("hello bot", channel=dm, member=config.members[0])
    reply = dpytest.get_message()
    assert reply.content == "You said: hello bot"
    assert reply.channel.id == dm.id
    assert dpytest.verify().message().nothing()


async def test_guild_channel_answers_only_when_mentioned(bot: BotcoreClient) -> None:
    await dpytest.message("just chatting with friends")
    assert dpytest.verify().message().nothing()
    await dpytest.message(f"{mention(bot)} what is photosynthesis?")
    assert dpytest.verify().message().content("You said: what is photosynthesis?")
    assert dpytest.verify().message().nothing()


async def test_enabled_channel_needs_no_mention(bot: BotcoreClient, runtime: Runtime) -> None:
    config = dpytest.get_config()
    general, random = config.channels[0], config.channels[1]
    await runtime.long_term.set_chat_settings(
        "discord", str(config.guilds[0].id), {"enabled_channels": [str(random.id)]}
    )
    await dpytest.message("in the general channel", channel=general)
    assert dpytest.verify().message().nothing()
    await dpytest.message("in the random channel", channel=random)
    assert dpytest.verify().message().content("You said: in the random channel")


async def test_long_reply_is_split_at_2000(bot: BotcoreClient) -> None:
    text = " ".join(f"word{i:04d}" for i in range(430))  # ~3900 characters
    await dpytest.message(f"{mention(bot)} {text}")
    parts = []
    while not dpytest.sent_queue.empty():
        parts.append(dpytest.get_message().content)
    assert len(parts) == 2
    assert all(len(p) <= 2000 for p in parts)
    assert " ".join(parts) == f"You said: {text}"


async def test_everyone_and_here_are_neutralized(bot: BotcoreClient) -> None:
    await dpytest.message(f"{mention(bot)} shout @everyone and @here please")
    reply = dpytest.get_message()
    assert "@everyone" not in reply.content and "@here" not in reply.content
    assert "@\u200beveryone" in reply.content and "@\u200bhere" in reply.content
    assert not reply.mention_everyone


async def test_other_bots_are_ignored(bot: BotcoreClient) -> None:
    config = dpytest.get_config()
    robot = backend.make_user("robot", 9999)
    robot.bot = True
    robot_member = backend.make_member(robot, config.guilds[0])
    await dpytest.message(f"{mention(bot)} beep boop", member=robot_member)
    assert dpytest.verify().message().nothing()
