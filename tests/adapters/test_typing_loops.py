"""Typing loops: one per chat however many turns are pending there; gaps kept across loops."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from adapters.typing_loops import StopTyping, TypingLoops


class Calls:
    def __init__(self) -> None:
        self.at: dict[str, list[float]] = {}

    def sender(self, key: str) -> object:
        async def send() -> None:
            self.at.setdefault(key, []).append(asyncio.get_running_loop().time())

        return send


async def test_many_pending_turns_in_one_chat_share_one_loop() -> None:
    loops: TypingLoops[str] = TypingLoops(0.2)
    calls = Calls()

    async def turn(key: str, seconds: float) -> None:
        async with loops.pending(key, calls.sender(key)):  # type: ignore[arg-type]
            assert loops.active <= 2
            await asyncio.sleep(seconds)

    await asyncio.gather(*(turn("a", 0.5 + i * 0.05) for i in range(10)), turn("b", 0.1))
    assert loops.active == 0
    gaps = [b - a for a, b in itertools.pairwise(calls.at["a"])]
    assert 2 <= len(calls.at["a"]) <= 5 and all(g >= 0.19 for g in gaps), calls.at["a"]
    assert len(calls.at["b"]) == 1
    assert loops.calls == len(calls.at["a"]) + 1


@pytest.mark.parametrize(("restart_gap", "immediate"), [(None, False), (0.0, True)])
async def test_gap_across_loops(restart_gap: float | None, immediate: bool) -> None:
    loops: TypingLoops[str] = TypingLoops(0.3, restart_gap_s=restart_gap)
    calls = Calls()
    for _ in range(2):
        async with loops.pending("a", calls.sender("a")):  # type: ignore[arg-type]
            await asyncio.sleep(0.05)
    # default: the second turn came 0.05 s after the first call, so it shows no typing call
    assert len(calls.at["a"]) == (2 if immediate else 1)


async def test_stop_typing_ends_the_loop_and_failures_never_fail_the_turn() -> None:
    loops: TypingLoops[str] = TypingLoops(0.05)
    tries = {"gone": 0, "flaky": 0}

    async def gone() -> None:
        tries["gone"] += 1
        raise StopTyping

    async def flaky() -> None:
        tries["flaky"] += 1
        raise RuntimeError("network")

    async with loops.pending("gone", gone), loops.pending("flaky", flaky):
        await asyncio.sleep(0.3)
    assert tries["gone"] == 1 and tries["flaky"] >= 3


async def test_cancelling_the_turn_stops_its_loop() -> None:
    loops: TypingLoops[str] = TypingLoops(0.05)
    calls = Calls()

    async def turn() -> None:
        async with loops.pending("a", calls.sender("a")):  # type: ignore[arg-type]
            await asyncio.sleep(10)

    task = asyncio.create_task(turn())
    await asyncio.sleep(0.12)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    n = len(calls.at["a"])
    await asyncio.sleep(0.15)
    assert loops.active == 0 and len(calls.at["a"]) == n
