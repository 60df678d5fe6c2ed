"""End to end: ``create_adapter(runtime).run()`` against a fake Discord (REST + gateway websocket).

``BOTCORE_DISCORD_API_URL`` points discord.py at the fake; the adapter must take the gateway URL
from that server's ``/gateway/bot``, identify, receive a MESSAGE_CREATE over the websocket and
answer over REST — with the token never written to the logs.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import discord
import pytest
from pydantic import SecretStr

from adapters.base import Adapter
from adapters.discord import create_adapter
from adapters.discord.adapter import api_base
from adapters.discord.client import BotcoreClient
from botcore import plugins
from botcore.errors import ConfigError
from botcore.runtime import open_runtime
from tests.adapters.discord_payloads import (
    ANA,
    APP_ID,
    CHANNEL,
    DM,
    GID,
    TOKEN,
    FakeDiscord,
    guild,
    make_settings,
    message,
    text_channel,
)


@pytest.fixture
def guilds() -> list[dict[str, Any]]:
    return [guild(GID, channels=[text_channel(CHANNEL, GID)])]


def test_entry_point_is_registered() -> None:
    assert plugins.load(plugins.ADAPTERS, "discord") is create_adapter


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v10"),
        ("https://chat.example/api/", "https://chat.example/api/v10"),
        ("https://chat.example/api/v9", "https://chat.example/api/v9"),
    ],
)
def test_api_base(url: str, base: str) -> None:
    assert api_base(url) == base


async def test_missing_token_is_a_config_error(tmp_path: Path) -> None:
    async with open_runtime(make_settings(tmp_path)) as runtime:
        with pytest.raises(ConfigError, match="BOTCORE_DISCORD_TOKEN"):
            create_adapter(runtime)


async def test_run_answers_over_the_gateway_and_stops(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = make_settings(tmp_path).model_copy(
        update={"discord_token": SecretStr(TOKEN), "discord_api_url": fake.base_url}
    )
    async with open_runtime(settings) as runtime:
        adapter = create_adapter(runtime)
        assert isinstance(adapter, Adapter) and adapter.name == "discord"
        client = adapter.client
        assert isinstance(client, BotcoreClient) and not isinstance(client, discord.AutoShardedClient)
        task = asyncio.create_task(adapter.run())
        try:
            async with asyncio.timeout(15):
                await fake.identified.wait()
                await client.wait_until_ready()
            assert client.get_guild(GID) is not None
            await fake.dispatch(
                "MESSAGE_CREATE", message(channel_id=DM, author=ANA, content="over the gateway")
            )
            await fake.wait_for("POST", rf"/api/v10/channels/{DM}/messages", within_s=10)
            await asyncio.sleep(0.2)  # let a streamed reply finish its final edit
        finally:
            await adapter.stop()
            await asyncio.wait_for(task, 10)
    assert fake.find("GET", r"/api/v10/gateway/bot"), "gateway URL asked from the API base"
    assert fake.find("PUT", rf"/api/v10/applications/{APP_ID}/commands"), "commands synced"
    assert fake.transcript(DM) == ["You said: over the gateway"]
    assert client.is_closed()
    assert TOKEN not in caplog.text
    assert "NEVER-LOGGED" not in caplog.text


async def test_autoshard_setting_builds_a_sharded_client(tmp_path: Path) -> None:
    settings = make_settings(tmp_path).model_copy(
        update={"discord_token": SecretStr(TOKEN), "discord_autoshard": True}
    )
    async with open_runtime(settings) as runtime:
        adapter = create_adapter(runtime)
        assert isinstance(adapter.client, discord.AutoShardedClient)
        assert isinstance(adapter.client, BotcoreClient)
