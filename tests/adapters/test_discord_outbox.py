"""The Discord adapter delivers the admin outbox: broadcasts as DMs, human answers to
escalations in the DM, channel or thread where the question was asked. Queued with the real
``botcore.admin`` API in the real runtime; ``create_adapter(runtime).run()`` against the fake
Discord (REST + gateway), so discord.py's HTTP client and its 429 handling are real."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from adapters.discord import create_adapter
from adapters.discord.adapter import DiscordAdapter
from adapters.discord.text import split_message
from botcore.admin import escalations
from botcore.admin import models as am
from botcore.admin.audience import Audience
from botcore.admin.broadcast import broadcast_status, enqueue_broadcast
from botcore.memory.base import ShortTermMemory
from botcore.memory.stores import SqlAccess
from botcore.messages import ChatType, IncomingMessage
from botcore.runtime import Runtime, open_runtime
from tests.adapters.discord_payloads import (
    ANA,
    CHANNEL,
    DM,
    GID,
    THREAD,
    TOKEN,
    FakeDiscord,
    guild,
    make_settings,
    message,
    serving,
    text_channel,
    thread,
    user,
)

POLL_S = 0.1
QUESTION = "What is your refund policy for a damaged order?"
NO_PINGS = {"parse": [], "replied_user": False}


class DmDiscord(FakeDiscord):
    """The fake Discord, opening DM channels (``POST /users/@me/channels``); users in
    ``closed_dms`` refuse DMs from the bot (403, code 50007)."""

    def __init__(self) -> None:
        super().__init__()
        self.dms: dict[str, str] = {str(ANA["id"]): str(DM)}
        self.closed_dms: set[str] = set()

    def dm_of(self, uid: int | str) -> str:
        return self.dms.setdefault(str(uid), str(DM + 100 + len(self.dms)))

    def _answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        p = path.removeprefix("/api/v10")
        if method == "POST" and p == "/users/@me/channels":
            uid = str(body["recipient_id"])
            return 200, {"id": self.dm_of(uid), "type": 1,
                         "recipients": [user(int(uid), f"user{uid}")]}
        blocked = {self.dms[u] for u in self.closed_dms if u in self.dms}
        if method == "POST" and p.removeprefix("/channels/").split("/")[0] in blocked:
            return 403, {"message": "Cannot send messages to this user", "code": 50007}
        return super()._answer(method, path, body)


@pytest.fixture
async def fake() -> AsyncIterator[DmDiscord]:
    server = DmDiscord()
    server.guilds = [guild(GID, channels=[text_channel(CHANNEL, GID)],
                           threads=[thread(THREAD, GID, CHANNEL)])]
    async with serving(server):
        yield server


async def until(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)


async def _settled(store: SqlAccess, broadcast_id: int, count: int) -> dict[str, Any]:
    """Wait until ``count`` deliveries of a broadcast are sent or failed; return its status."""
    status: dict[str, Any] = {}

    async def check() -> bool:
        nonlocal status
        status = await broadcast_status(store, broadcast_id) or {}
        return status.get("sent", 0) + status.get("failed", 0) >= count

    await until(check)
    return status


async def _serve(rt: Runtime, fake: FakeDiscord,
                 body: Callable[[DiscordAdapter], Awaitable[None]]) -> None:
    adapter = create_adapter(rt)
    adapter.outbox.poll_s = POLL_S
    task = asyncio.create_task(adapter.run())
    try:
        async with asyncio.timeout(15):
            await fake.identified.wait()
            await adapter.client.wait_until_ready()
        await body(adapter)
    finally:
        await adapter.stop()
        await asyncio.wait_for(task, 15)


def _settings(fake: FakeDiscord, tmp_path: Path) -> Any:
    return make_settings(tmp_path).model_copy(
        update={"discord_token": SecretStr(TOKEN), "discord_api_url": fake.base_url})


async def test_broadcast_dms_each_user_once_and_closed_dms_fail_for_good(
    fake: DmDiscord, tmp_path: Path
) -> None:
    async with open_runtime(_settings(fake, tmp_path)) as rt:
        store = rt.long_term
        uids = ("920000000000000011", "920000000000000012", "920000000000000013")
        for uid in uids:
            await store.ensure_user("discord", uid)
        await store.ensure_user("telegram", "111")
        fake.closed_dms.add(uids[1])
        queued = await enqueue_broadcast(
            store, Audience("all"), "**Heads up** @everyone: v2 is out", actor="admin")
        assert queued.by_platform == {"discord": 3, "telegram": 1}
        status: dict[str, Any] = {}

        async def body(adapter: DiscordAdapter) -> None:
            nonlocal status
            status = await _settled(store, queued.broadcast_id or 0, 3)
            await asyncio.sleep(6 * POLL_S)  # more polls: the refused DM is not retried

        await _serve(rt, fake, body)
        async with store.session() as s:
            rows = {d.platform_user_id: d for d in (await s.execute(
                select(am.Delivery).where(am.Delivery.broadcast_id == queued.broadcast_id)
            )).scalars()}
    opened = fake.find("POST", "/api/v10/users/@me/channels")
    assert [c.json for c in opened] == [{"recipient_id": int(u)} for u in uids]
    posts = [c for c in fake.calls if c.method == "POST" and c.path.endswith("/messages")]
    assert [(c.path, c.status) for c in posts] == [
        (f"/api/v10/channels/{fake.dms[u]}/messages", 403 if u == uids[1] else 200) for u in uids
    ]
    for call in posts:
        assert call.json["content"] == "**Heads up** @\u200beveryone: v2 is out"
        assert call.json["allowed_mentions"] == NO_PINGS
    assert (status["sent"], status["failed"], status["queued"]) == (2, 1, 1)  # telegram waits
    refused = rows[uids[1]]
    assert refused.status == "failed" and refused.attempts == 1
    assert "50007" in (refused.error or "")
    assert rows["111"].status == "queued" and rows["111"].attempts == 0


async def test_escalation_answers_reach_the_dm_and_the_thread_split_and_without_pings(
    fake: DmDiscord, tmp_path: Path
) -> None:
    """One question asked in a DM over the gateway, one in a thread; the human answers arrive
    where they were asked (the long one split at 2000 characters)."""
    long_answer = "Refunds, step by step:\n\n" + " ".join(["Keep the receipt and the box."] * 80)
    async with open_runtime(_settings(fake, tmp_path)) as rt:
        store = rt.long_term
        answers: dict[str, int] = {}

        async def body(adapter: DiscordAdapter) -> None:
            await fake.dispatch("MESSAGE_CREATE", message(channel_id=DM, author=ANA,
                                                          content=QUESTION))
            await rt.manager.handle(IncomingMessage(
                platform="discord", message_id=uuid.uuid4().hex, chat_id=str(CHANNEL),
                thread_id=str(THREAD), user_id=str(ANA["id"]), text=QUESTION,
                chat_type=ChatType.GROUP, settings_scope=str(GID)))

            async def two_open() -> bool:
                return len(await escalations.list_escalations(store)) == 2

            await until(two_open)
            for esc in await escalations.list_escalations(store):
                in_dm = esc["chat_id"] == str(DM)
                done = await escalations.reply(
                    store, cast(ShortTermMemory, rt.short_term), esc["id"],
                    "Yes @here, in full." if in_dm else long_answer, actor="admin")
                answers["dm" if in_dm else "thread"] = done["broadcast_id"]
            for broadcast_id in answers.values():
                await _settled(store, broadcast_id, 1)

        await _serve(rt, fake, body)
        statuses = [await broadcast_status(store, b) for b in answers.values()]
    assert all(s is not None and (s["sent"], s["done"]) == (1, True) for s in statuses)
    human_dm = [{k: v for k, v in c.json.items() if k != "nonce"}  # nonce: random
                for c in fake.sent_messages(DM) if "in full" in c.json["content"]]
    assert human_dm == [{"content": "Yes @\u200bhere, in full.", "allowed_mentions": NO_PINGS,
                         "components": [], "enforce_nonce": True, "tts": False}]
    in_thread = [c.json for c in fake.sent_messages(THREAD)]
    assert [m["content"] for m in in_thread] == split_message(long_answer)
    assert len(in_thread) == 2 and all(m["allowed_mentions"] == NO_PINGS for m in in_thread)
    assert not fake.find("POST", "/api/v10/users/@me/channels")  # answered where asked


async def test_rate_limit_is_waited_out_by_discord_py(fake: DmDiscord, tmp_path: Path) -> None:
    async with open_runtime(_settings(fake, tmp_path)) as rt:
        store = rt.long_term
        await store.ensure_user("discord", str(ANA["id"]))
        fake.rate_limit_once("POST", rf"/api/v10/channels/{DM}/messages", 0.5)
        queued = await enqueue_broadcast(store, Audience("discord"), "hello", actor="admin")
        status: dict[str, Any] = {}

        async def body(adapter: DiscordAdapter) -> None:
            nonlocal status
            status = await _settled(store, queued.broadcast_id or 0, 1)

        await _serve(rt, fake, body)
    first, second = fake.find("POST", rf"/api/v10/channels/{DM}/messages")
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.5
    assert (status["sent"], status["failed"]) == (1, 0)


async def test_stop_during_a_broadcast_is_prompt_and_sends_nothing_twice(
    fake: DmDiscord, tmp_path: Path
) -> None:
    async with open_runtime(_settings(fake, tmp_path)) as rt:
        store = rt.long_term
        for i in range(30):
            await store.ensure_user("discord", str(920000000000001000 + i))
        queued = await enqueue_broadcast(store, Audience("discord"), "hi all", actor="admin")
        stop_s = 0.0

        async def body(adapter: DiscordAdapter) -> None:
            nonlocal stop_s

            async def three_sent() -> bool:
                return len(fake.sent_messages()) >= 3

            await until(three_sent)
            t0 = time.monotonic()
            await adapter.stop()
            stop_s = time.monotonic() - t0

        await _serve(rt, fake, body)
        status = await broadcast_status(store, queued.broadcast_id or 0)
    channels = [c.path for c in fake.sent_messages()]
    assert stop_s < 2.0 and 3 <= len(channels) < 30
    assert len(set(channels)) == len(channels)
    assert status is not None and status["sent"] == len(channels) and status["failed"] == 0
    assert status["queued"] + status["sending"] == 30 - len(channels)  # left for the next start
