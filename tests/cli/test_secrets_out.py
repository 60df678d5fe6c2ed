"""Secrets never leave the process (#12 item 7): botctl's final ``error:`` line goes through the
same redaction as every log line (the audit saw a Bot API token printed by it)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.adapters.fake_bot_api import FakeBotApi, FakeBotApiServer

BOTCTL = str(Path(sys.executable).with_name("botctl"))
TOKEN = "4242:not-botfather-shaped-secret"
"""Not shaped like 123456:ABC…(30+) so only the registered-secret redaction can catch it."""


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApiServer]:
    srv = FakeBotApiServer(FakeBotApi())  # knows another token: every call is a 401
    await srv.start()
    yield srv
    await srv.stop()


async def test_a_rejected_token_is_not_printed_by_botctl(server: FakeBotApiServer,
                                                         tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTCORE_")}
    env.update(BOTCORE_TELEGRAM_TOKEN=TOKEN, BOTCORE_TELEGRAM_API_URL=server.url,
               BOTCORE_EXECUTOR="instant", BOTCORE_DATA_DIR=str(tmp_path / "data"),
               BOTCORE_LOG_LEVEL="DEBUG")
    proc = await asyncio.create_subprocess_exec(
        BOTCTL, "run", "telegram", env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    text = (out + err).decode()
    assert proc.returncode not in (0, None), text[-2000:]
    last = [line for line in err.decode().splitlines() if line.strip()][-1]
    assert last.startswith("error: "), text[-2000:]
    assert "not-botfather-shaped-secret" not in text, text[-3000:]
    assert "***" in text
