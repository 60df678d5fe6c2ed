"""End to end over HTTP: the adapter (PTB's real HTTPX transport) against a fake Bot API server on
127.0.0.1, with the real runtime (SQLite, in-process memory, the instant model).

- in-process: exact call sequences, flood waits (429), webhook mode, and the burst test;
- subprocess: ``botctl run telegram`` with ``BOTCORE_TELEGRAM_API_URL`` pointing at the server,
  stopped with SIGINT: in-flight turns finish and the polling offset is committed.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram import Update

from adapters.base import HandlerRuntime
from adapters.telegram import adapter as adapter_module
from adapters.telegram import create_adapter
from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.bot import build_bot
from adapters.telegram.ratelimit import ChatRateLimiter
from adapters.telegram.webhook import SECRET_HEADER
from botcore.inference.base import TextDeltaCallback
from botcore.inference.payloads import GenerateRequest, GenerateResult
from botcore.runtime import open_runtime
from tests.adapters import telegram_payloads as p
from tests.adapters.fake_bot_api import (
    FakeBotApi,
    FakeBotApiServer,
    RecordingRequest,
    ScriptedHandler,
)
from tests.conftest import make_settings
from workers.instant import InstantExecutor

ANA = p.ANA["id"]


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApiServer]:
    srv = FakeBotApiServer(FakeBotApi())
    await srv.start()
    yield srv
    await srv.stop()


async def until(check: Callable[[], bool], within: float = 10.0) -> None:
    """Wait until ``check()`` holds (at most ``within`` seconds)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)


async def _serve(adapter: TelegramAdapter, body: Callable[[], Awaitable[None]]) -> None:
    task = asyncio.create_task(adapter.run())
    try:
        await body()
    finally:
        await adapter.stop()
        await asyncio.wait_for(task, 15)


def _fresh(api: FakeBotApi, method: str) -> list[dict[str, Any]]:
    return [c.params for c in api.of(method)]


async def test_private_turn_with_the_real_runtime_exact_calls(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    api = server.api
    settings = make_settings(tmp_path, telegram_token=p.TOKEN, telegram_api_url=server.url)
    async with open_runtime(settings) as rt:
        adapter = create_adapter(rt)
        assert adapter.name == "telegram"

        async def body() -> None:
            await until(lambda: bool(api.of("getUpdates")))
            api.push_update(p.private_text(update_id=500, text="hello there", message_id=10))
            await until(lambda: len(api.of("editMessageText")) == 1)

        await _serve(adapter, body)

    assert api.methods() == [
        "getMe",
        "setMyCommands",
        "setMyCommands",  # the menu in Chinese (language_code zh)
        "deleteWebhook",
        "sendChatAction",
        "sendMessage",
        "editMessageText",
    ]
    assert _fresh(api, "deleteWebhook") == [{"drop_pending_updates": False}]
    assert _fresh(api, "sendChatAction") == [{"chat_id": ANA, "action": "typing"}]
    [streamed] = _fresh(api, "sendMessage")
    assert streamed == {"chat_id": ANA, "text": "You said: hello there", "parse_mode": "HTML"}
    [final] = _fresh(api, "editMessageText")
    assert final["message_id"] == api.next_message_id
    assert final["text"] == "You said: hello there"
    buttons = final["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in buttons] == ["👍", "👎"]
    assert all(b["callback_data"].startswith("fb:") for b in buttons)
    polls = _fresh(api, "getUpdates")
    assert polls[0].get("offset") is None
    assert polls[0]["allowed_updates"] == [
        "message",
        "edited_message",
        "callback_query",
        "my_chat_member",
    ]
    assert polls[-1]["offset"] == 501 and polls[-1]["timeout"] == 0  # committed on stop
    assert api.confirmed_offset == 501 and api.pending == []


async def test_feedback_button_press_goes_through_the_manager(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    api = server.api
    settings = make_settings(tmp_path, telegram_token=p.TOKEN, telegram_api_url=server.url)
    async with open_runtime(settings) as rt:
        adapter = create_adapter(rt)

        async def body() -> None:
            api.push_update(p.private_text(update_id=1, text="hello there"))
            await until(lambda: len(api.of("editMessageText")) == 1)
            data = _fresh(api, "editMessageText")[0]["reply_markup"]["inline_keyboard"][0][0]
            api.push_update(p.callback_query(update_id=2, data=data["callback_data"], query_id="cbq-1"))
            await until(lambda: bool(api.of("answerCallbackQuery")))
            await until(lambda: len(api.of("sendMessage")) == 2)

        await _serve(adapter, body)
    assert _fresh(api, "answerCallbackQuery") == [{"callback_query_id": "cbq-1"}]
    assert api.confirmed_offset == 3


async def test_sticker_gets_a_polite_text_reply(server: FakeBotApiServer, tmp_path: Path) -> None:
    api = server.api
    settings = make_settings(tmp_path, telegram_token=p.TOKEN, telegram_api_url=server.url)
    async with open_runtime(settings) as rt:
        adapter = create_adapter(rt)

        async def body() -> None:
            api.push_update(p.sticker(update_id=7))
            await until(lambda: bool(api.of("sendMessage")))

        await _serve(adapter, body)
    [reply] = _fresh(api, "sendMessage")
    assert reply["chat_id"] == ANA and reply["text"].strip()


async def test_429_retry_after_is_waited_out_then_sent(server: FakeBotApiServer, tmp_path: Path) -> None:
    api = server.api
    api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    settings = make_settings(tmp_path, telegram_token=p.TOKEN, telegram_api_url=server.url)
    adapter = TelegramAdapter(HandlerRuntime(settings, ScriptedHandler()))

    async def body() -> None:
        api.push_update(p.private_text(update_id=1, text="hi"))
        await until(lambda: len(api.of("sendMessage")) == 2)

    await _serve(adapter, body)
    first, second = api.of("sendMessage")
    assert second.at - first.at >= 1.0
    assert second.params == first.params == {"chat_id": ANA, "text": "echo: hi", "parse_mode": "HTML"}


async def test_burst_never_exceeds_one_message_per_second_per_chat(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    """Two chats, 6 messages each, all at once: each chat's replies ≥ 1 s apart at the server,
    and the two chats proceed in parallel."""
    api = server.api
    settings = make_settings(tmp_path, telegram_token=p.TOKEN, telegram_api_url=server.url)
    adapter = TelegramAdapter(HandlerRuntime(settings, ScriptedHandler(delay=0.0)))
    chats = (ANA, 333)
    n = 6

    async def body() -> None:
        updates: list[dict[str, Any]] = []
        for i, chat in itertools.product(range(n), chats):
            u = p.private_text(update_id=len(updates) + 1, message_id=100 + i, text=f"m{i}")
            u["message"]["chat"]["id"] = u["message"]["from"]["id"] = chat
            updates.append(u)
        api.push_update(*updates)
        await until(lambda: len(api.of("sendMessage")) == n * len(chats), within=30)

    t0 = time.monotonic()
    await _serve(adapter, body)
    elapsed = time.monotonic() - t0
    worst = 0.0
    for chat in chats:
        sends = [c for c in api.of("sendMessage") if c.params["chat_id"] == chat]
        assert [c.params["text"] for c in sends] == [f"echo: m{i}" for i in range(n)]
        gaps = [b.at - a.at for a, b in itertools.pairwise(sends)]
        assert min(gaps) >= 1.0, gaps
        # no 1-second window holds two messages of one chat
        worst = max(worst, max(sum(1 for c in sends if s.at <= c.at < s.at + 1.0) for s in sends))
    assert worst == 1
    assert elapsed < (n - 1) * 1.0 * len(chats)  # chats were not serialized with each other
    print(
        f"\nburst: {n * len(chats)} replies to {len(chats)} chats in {elapsed:.2f}s; "
        f"max per chat per second = {worst}"
    )


async def test_adapter_overhead_per_update(tmp_path: Path) -> None:
    """Time the adapter spends per update outside the dialogue manager (normalize, lock, render,
    limiter, PTB request building), with an in-memory Bot API and distinct chats."""
    api = FakeBotApi()
    request = RecordingRequest(api)
    bot = build_bot(
        p.TOKEN,
        request=request,
        get_updates_request=request,
        rate_limiter=ChatRateLimiter(overall_max=10**6),
    )
    settings = make_settings(tmp_path, telegram_token=p.TOKEN)
    adapter = TelegramAdapter(HandlerRuntime(settings, ScriptedHandler(delay=0.0)), bot=bot)
    await adapter.start()
    n = 300
    updates: list[Update | None] = []
    for i in range(n):
        raw = p.private_text(update_id=i, message_id=i, text=f"**message** {i} with `code`")
        raw["message"]["chat"]["id"] = raw["message"]["from"]["id"] = 10_000 + i
        updates.append(Update.de_json(raw, bot))
    half = n // 2
    for u in updates[:half]:  # one at a time: the latency the adapter adds to a turn
        assert u is not None
        await adapter.submit(u)
    per_update_ms = adapter.stats.overhead_s / half * 1000
    t0 = time.perf_counter()  # all at once: throughput of the adapter alone
    await asyncio.gather(*[adapter.submit(u) for u in updates[half:] if u is not None])
    rate = (n - half) / (time.perf_counter() - t0)
    await bot.shutdown()
    assert len(api.of("sendMessage")) == n
    assert per_update_ms < 25.0
    print(
        f"\nadapter overhead: {per_update_ms:.2f} ms/update sequentially (typing + HTML reply "
        f"through PTB, manager excluded); {rate:.0f} updates/s concurrently"
    )


async def test_webhook_mode_checks_the_secret(server: FakeBotApiServer, tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = server.api
    settings = make_settings(
        tmp_path,
        telegram_token=p.TOKEN,
        telegram_api_url=server.url,
        telegram_webhook_url="https://bot.example.org/tg/hook",
        telegram_webhook_secret="hook-secret-123",
        telegram_webhook_listen=f"127.0.0.1:{port}",
    )
    handler = ScriptedHandler()
    adapter = TelegramAdapter(HandlerRuntime(settings, handler))

    async def body() -> None:
        await until(lambda: bool(api.of("setWebhook")))
        url = f"http://127.0.0.1:{port}/tg/hook"
        async with aiohttp.ClientSession() as http:
            async with http.post(
                url,
                json=p.private_text(update_id=9, text="via hook"),
                headers={SECRET_HEADER: "wrong"},
            ) as resp:
                assert resp.status == 403
            async with http.post(
                url,
                json=p.private_text(update_id=9, text="via hook"),
                headers={SECRET_HEADER: "hook-secret-123"},
            ) as resp:
                assert resp.status == 200
        await until(lambda: bool(api.of("sendMessage")))

    await _serve(adapter, body)
    [hook] = _fresh(api, "setWebhook")
    assert hook["url"] == "https://bot.example.org/tg/hook"
    assert hook["secret_token"] == "hook-secret-123"
    assert [m.text for m in handler.seen] == ["via hook"]
    assert "getUpdates" not in api.methods(polling=True)


async def test_botctl_run_telegram_subprocess(server: FakeBotApiServer, tmp_path: Path) -> None:
    """The real CLI: ``botctl run telegram`` against the fake server, stopped with SIGINT."""
    botctl = Path(sys.executable).parent / "botctl"
    if not botctl.exists():
        pytest.skip("botctl is not installed in this environment")
    api = server.api
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTCORE_")}
    env.update(
        {
            "BOTCORE_TELEGRAM_TOKEN": p.TOKEN,
            "BOTCORE_TELEGRAM_API_URL": server.url,
            "BOTCORE_EXECUTOR": "instant",
            "BOTCORE_DATA_DIR": str(tmp_path / "data"),
            "BOTCORE_LOG_LEVEL": "DEBUG",
        }
    )
    proc = await asyncio.create_subprocess_exec(
        str(botctl),
        "run",
        "telegram",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await until(lambda: bool(api.of("getUpdates")), within=60)
        api.push_update(
            p.private_command(update_id=41, command="/start", message_id=1),
            p.private_text(update_id=42, text="hello there", message_id=2),
        )
        await until(lambda: len(api.of("editMessageText")) == 1, within=30)
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    log = err.decode()
    assert proc.returncode == 0, log[-3000:]
    assert api.methods() == [
        "getMe",
        "setMyCommands",
        "setMyCommands",  # the menu in Chinese (language_code zh)
        "deleteWebhook",
        "sendChatAction",
        "sendMessage",  # /start: help text
        "sendChatAction",
        "sendMessage",
        "editMessageText",  # streamed, then finished
    ]
    assert _fresh(api, "sendMessage")[0]["text"].startswith("Hi")
    assert _fresh(api, "sendMessage")[1]["text"] == "You said: hello there"
    last = _fresh(api, "getUpdates")[-1]
    assert last["offset"] == 43 and last["timeout"] == 0  # offset committed on SIGINT
    assert p.TOKEN not in log
    assert p.TOKEN.split(":")[1] not in log


async def test_stop_lets_the_turn_in_flight_finish_and_nothing_is_answered_twice(
    server: FakeBotApiServer, tmp_path: Path
) -> None:
    api = server.api
    settings = make_settings(tmp_path, telegram_token=p.TOKEN, telegram_api_url=server.url)
    slow = ScriptedHandler(delay=1.0)
    adapter = TelegramAdapter(HandlerRuntime(settings, slow))
    task = asyncio.create_task(adapter.run())
    api.push_update(p.private_text(update_id=70, text="slow one"))
    await until(lambda: bool(slow.seen))
    await adapter.stop()  # while the turn is still being generated
    await asyncio.wait_for(task, 15)
    assert [c.params["text"] for c in api.of("sendMessage")] == ["echo: slow one"]
    assert _fresh(api, "getUpdates")[-1] == {
        "offset": 71,
        "timeout": 0,
        "limit": 1,
        "allowed_updates": ["message", "edited_message", "callback_query", "my_chat_member"],
    }
    # a restart polls from the committed offset: the update is not delivered (or answered) again
    again = ScriptedHandler()
    second = TelegramAdapter(HandlerRuntime(settings, again))

    async def body() -> None:
        await until(lambda: len(api.of("getUpdates")) >= 4)

    await _serve(second, body)
    assert again.seen == [] and len(api.of("sendMessage")) == 1


class HeldModel(InstantExecutor):
    """The instant model, holding each reply until ``go`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.generating = asyncio.Event()
        self.go = asyncio.Event()

    async def generate(self, request: GenerateRequest,
                       on_delta: TextDeltaCallback | None = None) -> GenerateResult:
        self.generating.set()
        await self.go.wait()
        return await super().generate(request, on_delta)


async def test_stop_spares_a_turn_whose_answer_is_being_recorded(
    server: FakeBotApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Shutdown cancelled a turn wherever it was, also while its answer was being written to SQL:
    the answer was then recorded (a redelivery counts as a duplicate) but never sent, before or
    after a restart. Here another connection holds SQLite's write lock while the bot is stopped
    with no grace period, so the answer's write is in progress when the turns are cut off."""
    monkeypatch.setattr(adapter_module, "CANCEL_WAIT_S", 60.0)  # a hang guard, not a claim
    api = server.api
    settings = make_settings(tmp_path, telegram_token=p.TOKEN, telegram_api_url=server.url,
                             shutdown_grace_s=0)
    model = HeldModel()
    async with open_runtime(settings, executor=model) as rt:
        adapter = create_adapter(rt)
        task = asyncio.create_task(adapter.run())
        api.push_update(p.private_text(update_id=80, text="hello there"))
        await asyncio.wait_for(model.generating.wait(), 30)  # the message itself is recorded
        lock = sqlite3.connect(settings.data_dir / "botcore.sqlite3", isolation_level=None,
                               check_same_thread=False)
        try:
            await asyncio.to_thread(lock.execute, "BEGIN IMMEDIATE")
            model.go.set()
            await until(lambda: adapter.finishing == 1, within=30)  # its answer's write waits
            with caplog.at_level(logging.INFO, logger=adapter_module.__name__):
                await adapter.stop()  # the drain spares the turn or cuts it off: either is logged
                await until(lambda: any("telegram turns" in r.getMessage() and r.getMessage()
                                        .startswith(("letting", "cancelled"))
                                        for r in caplog.records), within=30)
        finally:
            await asyncio.to_thread(lock.execute, "ROLLBACK")
            lock.close()
        await asyncio.wait_for(task, 90)
    finals = [c.params["text"] for c in api.calls if c.method in ("sendMessage", "editMessageText")
              and c.params.get("reply_markup")]
    assert finals == ["You said: hello there"]
    assert _fresh(api, "getUpdates")[-1]["offset"] == 81  # answered, then confirmed


async def test_create_adapter_needs_a_token(tmp_path: Path) -> None:
    from botcore.errors import ConfigError

    settings = make_settings(tmp_path)
    async with open_runtime(settings) as rt:
        with pytest.raises(ConfigError):
            create_adapter(rt)
