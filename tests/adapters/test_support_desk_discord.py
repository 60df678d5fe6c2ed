"""The handoff loop end to end on Discord: ``create_adapter(runtime).run()`` against the fake
Discord (REST + gateway) with the real runtime. A user asks in a DM, the staff channel
(``BOTCORE_STAFF_CHAT=discord:…``) gets the notice, a staff member replies to it (a Discord reply,
which mentions the bot), the user receives the answer in the DM, and the bot answers again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.discord import create_adapter
from botcore.faq import read_faq_file
from botcore.faq import store as faq_store
from botcore.handoff import staff_mark
from botcore.runtime import open_runtime
from tests.adapters.discord_payloads import (
    ANA,
    BEN,
    BOT_USER,
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
    return [guild(GID, channels=[text_channel(CHANNEL, GID, "staff")])]


async def until(check: Callable[[], Any], within: float = 10.0) -> Any:
    deadline = time.monotonic() + within
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)
    return found


async def test_handoff_loop_through_a_staff_channel(fake: FakeDiscord, tmp_path: Path) -> None:
    settings = make_settings(tmp_path).model_copy(update={
        "discord_token": SecretStr(TOKEN), "discord_api_url": fake.base_url,
        "staff_chat": f"discord:{CHANNEL}"})
    kb = tmp_path / "kb.csv"
    kb.write_text("id,question,answer\nhours,When are you open?,Mon-Sat 9-19.\n")
    async with open_runtime(settings) as runtime:
        await faq_store.upsert_entries(runtime.long_term, read_faq_file(kb))
        runtime.manager.faq.invalidate()
        adapter = create_adapter(runtime)
        task = asyncio.create_task(adapter.run())
        try:
            async with asyncio.timeout(15):
                await fake.identified.wait()
                await adapter.client.wait_until_ready()

            async def dm(text: str) -> None:
                await fake.dispatch("MESSAGE_CREATE", message(channel_id=DM, author=ANA,
                                                              content=text))

            await dm("human please")
            asked = asyncio.get_running_loop().time()
            [call] = await fake.wait_for("POST", rf"/api/v10/channels/{CHANNEL}/messages",
                                         within_s=10)
            assert call.at - asked < 2.0, f"staff notified after {call.at - asked:.2f}s"
            notice = fake.final(CHANNEL)[0]
            esc_id = staff_mark(notice["content"])
            assert esc_id is not None and "human please" in notice["content"]
            await until(lambda: fake.transcript(DM))
            assert "colleague" in fake.transcript(DM)[0]

            await dm("are you there?")
            await until(lambda: len(fake.transcript(DM)) == 2)
            assert "colleague has your question" in fake.transcript(DM)[1]
            await until(lambda: len(fake.transcript(CHANNEL)) == 2)
            assert staff_mark(fake.transcript(CHANNEL)[1]) == esc_id

            # a staff member replies to the notice (a Discord reply mentions the bot)
            reply = message(channel_id=CHANNEL, guild_id=GID, author=BEN,
                            content="We're here: it ships tomorrow.", mentions=(BOT_USER,))
            bot_msg = message(channel_id=CHANNEL, guild_id=GID, author=BOT_USER,
                              content=notice["content"], message_id=int(notice["id"]))
            reply["message_reference"] = {"message_id": notice["id"], "channel_id": str(CHANNEL),
                                          "guild_id": str(GID)}
            reply["referenced_message"] = bot_msg
            reply["type"] = 19
            await fake.dispatch("MESSAGE_CREATE", reply)
            await until(lambda: "We're here: it ships tomorrow." in fake.transcript(DM))
            await until(lambda: any(t.startswith("✅") for t in fake.transcript(CHANNEL)))

            await dm("When are you open?")
            await until(lambda: fake.transcript(DM)[-1] == "Mon-Sat 9-19.")
        finally:
            await adapter.stop()
            await asyncio.wait_for(task, 10)
