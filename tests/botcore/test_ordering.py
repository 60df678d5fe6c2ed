"""The per-key ordering primitive: FIFO per key, concurrency across keys, bounded memory."""

from __future__ import annotations

import asyncio
import random

import pytest

from botcore.ordering import KeyedOrder


async def test_holders_of_one_key_run_one_at_a_time_in_arrival_order() -> None:
    order = KeyedOrder()
    ran: list[int] = []
    inside = 0

    async def turn(i: int) -> None:
        nonlocal inside
        async with order("chat"):
            inside += 1
            assert inside == 1
            for _ in range(random.randint(0, 3)):
                await asyncio.sleep(0)
            ran.append(i)
            inside -= 1

    await asyncio.gather(*(turn(i) for i in range(50)))
    assert ran == list(range(50))
    assert len(order) == 0


async def test_keys_do_not_wait_for_each_other() -> None:
    order = KeyedOrder()
    release = asyncio.Event()
    entered: list[str] = []

    async def hold(key: str) -> None:
        async with order(key):
            entered.append(key)
            await release.wait()

    tasks = [asyncio.create_task(hold(k)) for k in ("a", "b", "c")]
    await asyncio.sleep(0.01)
    assert sorted(entered) == ["a", "b", "c"] and len(order) == 3
    release.set()
    await asyncio.gather(*tasks)
    assert len(order) == 0


async def test_no_entry_is_left_after_many_keys() -> None:
    order = KeyedOrder()

    async def turn(key: int) -> None:
        async with order(key):
            await asyncio.sleep(0)

    await asyncio.gather(*(turn(i % 1000) for i in range(5000)))
    assert len(order) == 0 and not order.busy(0)


async def test_an_error_in_the_body_releases_the_key() -> None:
    order = KeyedOrder()
    with pytest.raises(ValueError):
        async with order("k"):
            raise ValueError("boom")
    async with asyncio.timeout(1):
        async with order("k"):
            pass
    assert len(order) == 0


async def test_a_cancelled_waiter_does_not_stall_the_others() -> None:
    order = KeyedOrder()
    ran: list[str] = []
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with order("k"):
            first_in.set()
            await release.wait()
            ran.append("first")

    async def later(name: str) -> None:
        async with order("k"):
            ran.append(name)

    t1 = asyncio.create_task(first())
    await first_in.wait()
    t2 = asyncio.create_task(later("second"))
    t3 = asyncio.create_task(later("third"))
    await asyncio.sleep(0)
    t2.cancel()
    await asyncio.sleep(0)
    release.set()
    async with asyncio.timeout(1):
        await asyncio.gather(t1, t3)
    assert t2.cancelled()
    assert ran == ["first", "third"]
    assert len(order) == 0


async def test_a_waiter_cancelled_just_as_its_turn_comes_passes_it_on() -> None:
    order = KeyedOrder()
    ran: list[str] = []
    release = asyncio.Event()

    async def first() -> None:
        async with order("k"):
            await release.wait()

    async def later(name: str) -> None:
        async with order("k"):
            ran.append(name)

    t1 = asyncio.create_task(first())
    await asyncio.sleep(0)
    t2 = asyncio.create_task(later("second"))
    t3 = asyncio.create_task(later("third"))
    await asyncio.sleep(0)
    release.set()
    await asyncio.sleep(0)  # first releases and wakes second ...
    t2.cancel()  # ... which is cancelled before it runs
    async with asyncio.timeout(1):
        await asyncio.gather(t1, t3)
    assert ran == ["third"] and len(order) == 0


async def test_a_wait_that_times_out_gives_up_its_place() -> None:
    order = KeyedOrder()
    release = asyncio.Event()

    async def hold() -> None:
        async with order("k"):
            await release.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    with pytest.raises(TimeoutError):
        async with order("k", timeout_s=0.01):
            pytest.fail("entered while held")
    assert order.busy("k")
    release.set()
    await holder
    assert len(order) == 0
    async with order("k", timeout_s=0.01):
        pass
