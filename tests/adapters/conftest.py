"""Fixtures shared by the Discord tests: the fake Discord, the real runtime, a logged-in bot.

A module overrides one by defining a fixture of the same name (``guilds`` for the channels the
fake gateway announces, ``fake`` for a server subclass, ``runtime`` for other settings).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.discord.client import BotcoreClient
from botcore.runtime import Runtime, open_runtime
from tests.adapters.discord_payloads import FakeDiscord, make_settings, serving, start_bot


@pytest.fixture
def guilds() -> list[dict[str, Any]]:
    """The guilds the fake Discord announces when a bot connects to its gateway."""
    return []


@pytest.fixture
async def fake(guilds: list[dict[str, Any]]) -> AsyncIterator[FakeDiscord]:
    """A fake Discord (REST + gateway on 127.0.0.1) that discord.py's REST calls go to."""
    server = FakeDiscord()
    server.guilds = guilds
    async with serving(server):
        yield server


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    """The real runtime on SQLite with the instant model, rate limits out of the way."""
    async with open_runtime(make_settings(tmp_path)) as rt:
        yield rt


@pytest.fixture
async def bot(fake: FakeDiscord, runtime: Runtime) -> AsyncIterator[BotcoreClient]:
    """The real :class:`BotcoreClient`, logged in against ``fake``, answering through ``runtime``."""
    client = await start_bot(runtime)
    yield client
    await client.close()
