"""One contract, every short-term backend: in-process and real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from botcore.errors import StorageError, StorageUnavailable
from botcore.memory.base import ShortTermMemory, Turn
from botcore.memory.local_store import LocalShortTermMemory
from botcore.memory.redis_store import RedisShortTermMemory
from botcore.messages import ConversationKey

A = ConversationKey("test", "chat1", "alice")
B = ConversationKey("test", "chat1", "bob")


@pytest.fixture(params=["local", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[ShortTermMemory]:
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        s: ShortTermMemory = RedisShortTermMemory.from_url(url, max_turns=5, ttl_s=60)
    else:
        s = LocalShortTermMemory(max_turns=5, ttl_s=60)
    yield s
    await s.aclose()


async def test_turns_are_capped_ordered_and_a_miss_is_none(store: ShortTermMemory) -> None:
    assert await store.recent_turns(A, 10) is None
    await store.append_turns(A, [Turn("user", f"t{i}", at=float(i)) for i in range(7)])
    turns = await store.recent_turns(A, 10)
    assert turns is not None and [t.text for t in turns] == ["t2", "t3", "t4", "t5", "t6"]
    assert [t.text for t in await store.recent_turns(A, 2) or []] == ["t5", "t6"]
    assert await store.recent_turns(B, 10) is None  # another user's conversation is separate
    await store.replace_turns(A, [Turn("assistant", "rebuilt", "tutor", 1.0)])
    assert await store.recent_turns(A, 10) == [Turn("assistant", "rebuilt", "tutor", 1.0)]


async def test_state_set_delete_and_clear(store: ShortTermMemory) -> None:
    await store.set_state(A, {"mode": "tutor", "skill": "tutor"})
    await store.set_state(A, {"skill": None})
    assert await store.get_state(A) == {"mode": "tutor"}
    assert await store.get_state(B) == {}
    await store.append_turns(A, [Turn("user", "x")])
    await store.clear(A)
    assert await store.get_state(A) == {}
    assert await store.recent_turns(A, 5) is None


async def test_claim_is_once_until_released_or_expired(store: ShortTermMemory) -> None:
    assert await store.claim("m1", 60)
    assert not await store.claim("m1", 60)
    await store.release("m1")
    assert await store.claim("m1", 60)
    assert await store.claim("short", 0.05)
    await asyncio.sleep(0.1)
    assert await store.claim("short", 0.05)


async def test_concurrent_claims_have_exactly_one_winner(store: ShortTermMemory) -> None:
    results = await asyncio.gather(*(store.claim("race", 60) for _ in range(20)))
    assert results.count(True) == 1


async def test_lock_serializes_in_arrival_order(store: ShortTermMemory) -> None:
    order: list[int] = []

    async def worker(i: int) -> None:
        async with store.lock("L", 5):
            order.append(i)
            await asyncio.sleep(0.005)
            order.append(i)

    await asyncio.gather(*(worker(i) for i in range(6)))
    assert order == [i for i in range(6) for _ in (0, 1)]


async def test_lock_times_out_with_a_storage_error(store: ShortTermMemory) -> None:
    async with store.lock("T", 5):
        with pytest.raises(StorageError):
            async with store.lock("T", 0.1):
                pass


async def test_a_timeout_inside_the_lock_is_the_bodys_and_releases_it(store: ShortTermMemory) -> None:
    with pytest.raises(TimeoutError) as err:
        async with store.lock("B", 5):
            raise TimeoutError("the body's own")
    assert not isinstance(err.value, StorageError)
    async with store.lock("B", 0.5):  # released
        pass


async def test_rate_limit_window(store: ShortTermMemory) -> None:
    window = 0.5
    waits = [await store.hit("u1", 3, window) for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert all(0 < w <= window for w in waits[3:])
    assert await store.hit("u2", 3, window) == 0.0
    await asyncio.sleep(window + 0.05)  # the window slides: allowed again
    assert await store.hit("u1", 3, window) == 0.0


async def test_forget_user_removes_only_that_user(store: ShortTermMemory) -> None:
    group_a = ConversationKey("test", "group", "alice", "topic")
    for key in (A, group_a, B):
        await store.append_turns(key, [Turn("user", "secret")])
        await store.set_state(key, {"mode": "faq"})
    assert await store.forget_user("test", "alice") >= 2
    assert await store.recent_turns(A, 5) is None
    assert await store.recent_turns(group_a, 5) is None
    assert await store.get_state(group_a) == {}
    assert await store.recent_turns(B, 5) is not None


async def test_redis_down_is_reported_as_unavailable() -> None:
    dead = RedisShortTermMemory.from_url("redis://127.0.0.1:1/0")
    with pytest.raises(StorageUnavailable):
        await dead.ping()
    with pytest.raises(StorageUnavailable):
        await dead.claim("x", 1)
    await dead.aclose()


async def test_claims_carry_a_value_that_can_be_read_and_overwritten(store: ShortTermMemory) -> None:
    assert await store.get_claim("t") is None
    assert await store.claim("t", 60, value="run:abc")
    assert await store.get_claim("t") == "run:abc"
    assert not await store.claim("t", 60, value="run:def")
    await store.set_claim("t", "done", 60)
    assert await store.get_claim("t") == "done"
    await store.set_claim("gone", "x", 0.05)
    await asyncio.sleep(0.1)
    assert await store.get_claim("gone") is None
