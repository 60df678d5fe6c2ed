"""Unbounded in-process state (#12 item 10): rate-limit buckets, session state and the per-chat
settings cache expire and are capped — 20,000 entries are gone after their TTL."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from botcore.dialogue import ttl_cache
from botcore.dialogue.ttl_cache import TTLCache
from botcore.memory import local_store
from botcore.memory.local_store import LocalShortTermMemory
from botcore.messages import ChatType, ConversationKey, IncomingMessage
from botcore.runtime import open_runtime
from tests.conftest import make_settings

N = 20_000


class Clock:
    """A frozen clock for the in-process stores (never asyncio's): moves only when told."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = time.monotonic()
        monkeypatch.setattr(local_store, "_now", lambda: self.now)
        monkeypatch.setattr(ttl_cache, "_now", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def test_20000_rate_limit_buckets_and_session_states_expire(
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    store = LocalShortTermMemory(ttl_s=3600)
    for i in range(N):
        await store.hit(f"user:{i}", 20, 60.0)
        await store.set_state(ConversationKey("telegram", str(i), str(i)), {"skill": "tutor"})
    assert store.sizes()["rate_limit_buckets"] == N and store.sizes()["state"] == N
    clock.advance(4 * 3600)
    await store.hit("user:fresh", 20, 60.0)  # any write sweeps
    sizes = store.sizes()
    assert sizes["rate_limit_buckets"] == 1 and sizes["state"] == 0, sizes
    assert await store.get_state(ConversationKey("telegram", "1", "1")) == {}


async def test_the_maps_are_capped() -> None:
    store = LocalShortTermMemory(max_keys=1000)
    for i in range(N):
        await store.hit(f"user:{i}", 20, 60.0)
        await store.set_state(ConversationKey("telegram", str(i), str(i)), {"k": "v"})
    assert store.sizes()["rate_limit_buckets"] == 1000 and store.sizes()["state"] == 1000


def test_20000_cached_entries_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    cache: TTLCache[str, int] = TTLCache(30.0, max_items=50_000)
    for i in range(N):
        cache.set(str(i), i)
    assert len(cache) == N
    clock.advance(4 * 30.0)
    cache.set("fresh", 1)
    assert len(cache) == 1


async def test_through_the_manager_nothing_outlives_its_ttl(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages from many users and groups fill the caches; after 4× their TTL one more turn
    finds them swept (users, recall, per-chat settings, rate-limit buckets, session state)."""
    clock = Clock(monkeypatch)
    settings = make_settings(tmp_path, short_term_ttl_s=600)
    async with open_runtime(settings) as rt:
        for i in range(60):
            await rt.manager.handle(IncomingMessage(
                platform="telegram", message_id=uuid.uuid4().hex, chat_id=f"g{i}",
                user_id=f"u{i}", text="@bot hello", chat_type=ChatType.GROUP, addressed=True))
        full = rt.manager.cache_sizes()
        assert full["chat_settings"] == 60 and full["rate_limit_buckets"] >= 60, full
        clock.advance(4 * 3600)
        await rt.manager.handle(IncomingMessage(
            platform="telegram", message_id=uuid.uuid4().hex, chat_id="g-last",
            user_id="u-last", text="@bot hello", chat_type=ChatType.GROUP, addressed=True))
        after = rt.manager.cache_sizes()
    for name in ("chat_settings", "users", "rate_limit_buckets", "state", "turns"):
        assert after[name] <= 3, (name, after)
