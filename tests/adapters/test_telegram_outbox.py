"""The Telegram adapter delivers the admin outbox: broadcasts and human answers to escalations,
queued with the real ``botcore.admin`` API in the real runtime (SQLite, the instant model), sent
over HTTP to the fake Bot API through the adapter's rate-limited send path."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import select

from adapters.telegram import create_adapter
from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.bot import build_bot
from adapters.telegram.ratelimit import ChatRateLimiter
from botcore.admin import escalations
from botcore.admin import models as am
from botcore.admin.audience import Audience
from botcore.admin.broadcast import broadcast_status, enqueue_broadcast, enqueue_direct
from botcore.memory.base import ShortTermMemory
from botcore.memory.stores import SqlAccess
from botcore.runtime import Runtime, open_runtime
from tests.adapters import telegram_payloads as p
from tests.adapters.fake_bot_api import Call, FakeBotApi, FakeBotApiServer
from tests.conftest import make_settings

ANA = p.ANA["id"]
FORUM = p.FORUM_CHAT["id"]
GROUP = p.GROUP_CHAT["id"]
POLL_S = 0.1
QUESTION = "What is your refund policy for a damaged order?"


class BlockingBotApi(FakeBotApi):
    """The fake Bot API, where users in ``blocked`` have blocked the bot (403 on every send)."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: set[int] = set()

    async def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "sendMessage" and int(params.get("chat_id", 0)) in self.blocked:
            self.calls.append(Call(method, params))
            return 403, {"ok": False, "error_code": 403,
                         "description": "Forbidden: bot was blocked by the user"}
        return await super().handle(method, params)


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApiServer]:
    srv = FakeBotApiServer(BlockingBotApi())
    await srv.start()
    yield srv
    await srv.stop()


async def until(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.02)


async def _serve(adapter: TelegramAdapter, body: Callable[[], Awaitable[None]]) -> None:
    task = asyncio.create_task(adapter.run())
    try:
        await body()
    finally:
        await adapter.stop()
        await asyncio.wait_for(task, 15)


def _adapter(rt: Runtime, **limits: Any) -> TelegramAdapter:
    """The adapter as ``botctl run telegram`` builds it, polling the outbox every ``POLL_S``;
    ``limits`` replace the rate limiter's defaults."""
    if not limits:
        adapter = create_adapter(rt)
        assert adapter.outbox is not None
        adapter.outbox.poll_s = POLL_S
        return adapter
    s = rt.settings
    token = s.telegram_token.get_secret_value() if s.telegram_token else ""
    bot = build_bot(token, s.telegram_api_url, rate_limiter=ChatRateLimiter(**limits))
    return TelegramAdapter(rt, bot=bot, outbox_poll_s=POLL_S)


async def _settled(store: SqlAccess, broadcast_id: int, count: int) -> dict[str, Any]:
    """Wait until ``count`` deliveries of a broadcast are sent or failed; return its status."""
    status: dict[str, Any] = {}

    async def check() -> bool:
        nonlocal status
        status = await broadcast_status(store, broadcast_id) or {}
        return status.get("sent", 0) + status.get("failed", 0) >= count

    await until(check)
    return status


def _sends(api: FakeBotApi, chat: int | None = None) -> list[Call]:
    return [c for c in api.of("sendMessage") if chat is None or c.params["chat_id"] == chat]


async def test_broadcast_is_sent_once_per_user_and_a_blocker_fails_for_good(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    api = cast(BlockingBotApi, server.api)
    settings = make_settings(tmp_path, telegram_token=p.TOKEN, telegram_api_url=server.url)
    async with open_runtime(settings) as rt:
        store = rt.long_term
        for uid in (111, 222, 333):
            await store.ensure_user("telegram", str(uid), f"user{uid}")
        await store.ensure_user("discord", "444", "dee")
        api.blocked.add(222)
        queued = await enqueue_broadcast(
            store, Audience("all"), "**Maintenance** tonight: 22:00 <UTC> & `v2`", actor="admin")
        assert queued.by_platform == {"telegram": 3, "discord": 1} and queued.broadcast_id
        adapter = _adapter(rt)
        status: dict[str, Any] = {}

        async def body() -> None:
            nonlocal status
            status = await _settled(store, queued.broadcast_id or 0, 3)
            await asyncio.sleep(6 * POLL_S)  # several more polls: the blocked user is not retried

        await _serve(adapter, body)
        html = "<b>Maintenance</b> tonight: 22:00 &lt;UTC&gt; &amp; <code>v2</code>"
        assert [c.params for c in _sends(api)] == [
            {"chat_id": uid, "text": html, "parse_mode": "HTML"} for uid in (111, 222, 333)
        ]
        assert api.methods() == (["getMe", "setMyCommands", "setMyCommands", "deleteWebhook"]
                                 + ["sendMessage"] * 3)
        assert (status["sent"], status["failed"], status["queued"]) == (2, 1, 1)  # discord waits
        assert status["delivered"] == 2 and not status["done"]
        async with store.session() as s:
            rows = {d.platform_user_id: d for d in (await s.execute(
                select(am.Delivery).where(am.Delivery.broadcast_id == queued.broadcast_id)
            )).scalars()}
        assert rows["222"].status == "failed" and rows["222"].attempts == 1
        assert "blocked" in (rows["222"].error or "")
        assert rows["444"].status == "queued" and rows["444"].attempts == 0
        blocker = await store.get_user("telegram", "222")
        assert blocker is not None and blocker.active is False  # marked like after a reply

        # the next broadcast skips the user who blocked the bot
        again = await enqueue_broadcast(store, Audience("telegram"), "Back online.", actor="admin")
        assert (again.queued, again.skipped) == (2, 1)

        async def second_body() -> None:
            await _settled(store, again.broadcast_id or 0, 2)

        await _serve(_adapter(rt), second_body)
        assert [c.params["chat_id"] for c in _sends(api)][3:] == [111, 333]


async def test_escalation_answers_go_to_the_chat_and_topic_where_they_were_asked(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    """A real turn escalates (the faq skill has no answer); the admin's reply reaches the user's
    private chat, and in a forum the topic the question came from."""
    api = server.api
    settings = make_settings(tmp_path, telegram_token=p.TOKEN, telegram_api_url=server.url)
    async with open_runtime(settings) as rt:
        store = rt.long_term
        adapter = _adapter(rt)
        answers: dict[str, int] = {}

        async def open_escalations() -> list[dict[str, Any]]:
            return await escalations.list_escalations(store, "open")

        async def body() -> None:
            api.push_update(p.private_text(update_id=1, text=QUESTION, message_id=10))
            topic = p.forum_topic_message(update_id=2, message_id=31, thread_id=30)
            topic["message"]["text"] = f"@{p.BOT_USERNAME} {QUESTION}"
            api.push_update(topic)

            async def two_open() -> bool:
                return len(await open_escalations()) == 2

            await until(two_open)
            for esc in await open_escalations():
                where = "private" if esc["chat_id"] == str(ANA) else "topic"
                done = await escalations.reply(
                    store, cast(ShortTermMemory, rt.short_term), esc["id"],
                    f"Damaged orders are **refunded** in full ({where}).", actor="admin")
                answers[where] = done["broadcast_id"]
            for broadcast_id in answers.values():
                await _settled(store, broadcast_id, 1)

        await _serve(adapter, body)
    human = [c.params for c in _sends(api) if "Damaged" in c.params["text"]]
    assert sorted(human, key=lambda c: c["chat_id"]) == [
        {"chat_id": FORUM, "message_thread_id": 30, "parse_mode": "HTML",
         "text": "Damaged orders are <b>refunded</b> in full (topic)."},
        {"chat_id": ANA, "parse_mode": "HTML",
         "text": "Damaged orders are <b>refunded</b> in full (private)."},
    ]
    async with open_runtime(settings) as rt:
        for broadcast_id in answers.values():
            status = await broadcast_status(rt.long_term, broadcast_id)
            assert status is not None and status["kind"] == "escalation"
            assert (status["sent"], status["failed"], status["done"]) == (1, 0, True)


async def test_per_chat_and_group_limits_hold_and_a_busy_group_does_not_hold_up_others(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    """Three answers to one private chat go ≥ 1 s apart; a group limited to 2 messages per 4 s
    gets its third after the window, and the broadcast behind it is not kept waiting."""
    api = server.api
    settings = make_settings(tmp_path, telegram_token=p.TOKEN, telegram_api_url=server.url)
    async with open_runtime(settings) as rt:
        store = rt.long_term
        ana = await store.ensure_user("telegram", str(ANA), "Ana")
        await store.ensure_user("telegram", "333", "Cleo")
        ids = []
        for chat, n in ((None, 3), (str(GROUP), 3)):
            for i in range(n):
                ids.append(await enqueue_direct(
                    store, user_id=ana.id, platform="telegram", platform_user_id=str(ANA),
                    chat_id=chat, thread_id=None, text=f"{chat or 'dm'} answer {i}",
                    actor="admin"))
        news = await enqueue_broadcast(store, Audience("telegram", users=("telegram:333",)),
                                       "News", actor="admin")
        adapter = _adapter(rt, group_max=2, group_window=4.0)

        async def body() -> None:
            for broadcast_id in (*ids, news.broadcast_id or 0):
                await _settled(store, broadcast_id, 1)

        t0 = time.monotonic()
        await _serve(adapter, body)
        elapsed = time.monotonic() - t0
        statuses = [await broadcast_status(store, i) for i in ids]
    assert all(s is not None and s["sent"] == 1 for s in statuses)
    dm, group, other = _sends(api, ANA), _sends(api, GROUP), _sends(api, 333)
    assert [c.params["text"] for c in dm] == [f"dm answer {i}" for i in range(3)]
    assert [c.params["text"] for c in group] == [f"{GROUP} answer {i}" for i in range(3)]
    assert min(b.at - a.at for a, b in itertools.pairwise(dm)) >= 1.0
    assert min(b.at - a.at for a, b in itertools.pairwise(group)) >= 1.0
    assert group[2].at - group[0].at >= 4.0  # the group's window
    assert len(other) == 1 and other[0].at < group[2].at  # not stuck behind the busy group
    print(f"\noutbox: 7 deliveries in {elapsed:.2f}s; dm gaps "
          f"{[round(b.at - a.at, 2) for a, b in itertools.pairwise(dm)]}, group 1st→3rd "
          f"{group[2].at - group[0].at:.2f}s")


async def test_flood_wait_the_limiter_gives_up_on_is_queued_again(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    """With no retries in the limiter a 429 becomes ``RateLimited``: the delivery goes back to
    the queue for ``retry_after`` seconds and is then sent."""
    api = server.api
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    settings = make_settings(tmp_path, telegram_token=p.TOKEN, telegram_api_url=server.url)
    async with open_runtime(settings) as rt:
        store = rt.long_term
        await store.ensure_user("telegram", str(ANA), "Ana")
        queued = await enqueue_broadcast(store, Audience("telegram"), "hello", actor="admin")
        adapter = _adapter(rt, max_retries=0)
        requeued: list[str] = []

        async def body() -> None:
            async def first_refused() -> bool:
                async with store.session() as s:
                    d = (await s.execute(select(am.Delivery))).scalar_one()
                if d.status == "queued" and d.error:
                    requeued.append(d.error)
                return bool(requeued)

            await until(first_refused)
            await _settled(store, queued.broadcast_id or 0, 1)

        await _serve(adapter, body)
        status = await broadcast_status(store, queued.broadcast_id or 0)
    assert requeued[0] == "rate limited, retry after 1.0s"
    first, second = _sends(api)
    assert second.at - first.at >= 1.0
    assert first.params == second.params == {"chat_id": ANA, "text": "hello", "parse_mode": "HTML"}
    assert status is not None and (status["sent"], status["failed"]) == (1, 0)


async def test_stop_during_a_broadcast_is_prompt_and_sends_nothing_twice(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    api = server.api
    settings = make_settings(tmp_path, telegram_token=p.TOKEN, telegram_api_url=server.url)
    async with open_runtime(settings) as rt:
        store = rt.long_term
        for uid in range(1, 61):
            await store.ensure_user("telegram", str(1000 + uid))
        queued = await enqueue_broadcast(store, Audience("telegram"), "hi all", actor="admin")
        adapter = _adapter(rt)
        task = asyncio.create_task(adapter.run())
        await until(lambda: _async(len(_sends(api)) >= 5))
        t0 = time.monotonic()
        await adapter.stop()
        await asyncio.wait_for(task, 15)
        stop_s = time.monotonic() - t0
        sent = len(_sends(api))
        await asyncio.sleep(0.3)
        status = await broadcast_status(store, queued.broadcast_id or 0)
    assert stop_s < 2.0 and len(_sends(api)) == sent < 60
    chats = [c.params["chat_id"] for c in _sends(api)]
    assert len(set(chats)) == len(chats)
    assert status is not None and status["sent"] == sent and status["failed"] == 0
    assert status["queued"] + status["sending"] == 60 - sent  # left for the next start


async def _async(value: bool) -> bool:
    return value


async def test_limiter_delay_counts_the_chat_interval_and_the_group_budget() -> None:
    """What the outbox asks before sending: how long until a chat may take a message."""
    now = [100.0]
    limiter = ChatRateLimiter(group_max=2, group_window=60.0, clock=lambda: now[0])

    async def ok(*_args: Any, **_kwargs: Any) -> bool:
        return True

    async def send(chat: int) -> None:
        await limiter.process_request(ok, (), {}, "sendMessage", {"chat_id": chat}, None)

    assert limiter.delay(GROUP) == limiter.delay(ANA) == 0.0
    await send(GROUP)
    assert limiter.delay(GROUP) == 1.0  # one message a second per chat
    now[0] += 1.0
    await send(GROUP)
    await send(ANA)
    now[0] += 2.0
    assert limiter.delay(ANA) == 0.0
    assert limiter.delay(GROUP) == 57.0  # two messages in the last 60 s: wait for the first to age
    assert limiter.delay(333) == 0.0
