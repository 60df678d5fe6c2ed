"""The retention loop stops when cancelled, even when a client below it swallowed the
cancellation (a shutdown once hung on it: the loop went on purging every second)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from botcore.admin import retention


async def test_the_loop_ends_when_a_round_swallows_its_cancellation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rounds: list[int] = []
    started = asyncio.Event()

    async def swallowing_round(*_: Any, **__: Any) -> None:
        rounds.append(1)
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:  # what a driver converting cancellation looks like
            return None

    monkeypatch.setattr(retention, "purge_once", swallowing_round)
    task = asyncio.create_task(retention.retention_loop(None, None, 30.0, 0.01))  # type: ignore[arg-type]
    await started.wait()
    task.cancel()
    await asyncio.wait_for(asyncio.shield(task), timeout=10)  # hang guard only
    assert task.done() and rounds == [1]


async def test_the_loop_goes_on_after_a_failed_round(monkeypatch: pytest.MonkeyPatch) -> None:
    rounds: list[int] = []

    async def failing_round(*_: Any, **__: Any) -> None:
        rounds.append(1)
        raise RuntimeError("database gone")

    monkeypatch.setattr(retention, "purge_once", failing_round)
    task = asyncio.create_task(retention.retention_loop(None, None, 30.0, 0.01))  # type: ignore[arg-type]
    for _ in range(500):  # hang guard only
        if len(rounds) >= 3:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert len(rounds) >= 3
