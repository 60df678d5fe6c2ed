"""The outbox under concurrency: parallel consumers never claim one delivery twice; a dead
consumer's lease expires; blocked users are skipped at delivery time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from botcore.admin.audience import Audience
from botcore.admin.broadcast import broadcast_status, enqueue_broadcast
from botcore.admin.outbox import claim_deliveries, report_delivery
from botcore.config import to_async_url
from botcore.memory.sql_engine import make_engine, migrate
from botcore.memory.sql_store import SqlMemory


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlMemory]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'o.sqlite3'}"
    else:
        url = to_async_url(request.getfixturevalue("fresh_pg"))
    await migrate(url, "upgrade", "head")
    sql = SqlMemory(make_engine(url))
    yield sql
    await sql.aclose()


async def test_parallel_consumers_share_the_work_without_duplicates(store: SqlMemory) -> None:
    for i in range(30):
        await store.ensure_user("telegram", str(i), f"user {i}")
    res = await enqueue_broadcast(store, Audience("telegram"), "hello", "test")
    assert res.queued == 30

    async def consumer() -> list[int]:
        got: list[int] = []
        while batch := await claim_deliveries(store, "telegram", limit=4):
            got += [d.id for d in batch]
            for d in batch:
                await report_delivery(store, d.id, True)
        return got

    results = await asyncio.gather(*(consumer() for _ in range(3)))
    claimed = [i for r in results for i in r]
    assert len(claimed) == 30 and len(set(claimed)) == 30
    status = await broadcast_status(store, res.broadcast_id or 0)
    assert status is not None and status["sent"] == 30 and status["done"]


async def test_an_expired_lease_is_claimed_again_and_blocked_users_are_skipped(
        store: SqlMemory) -> None:
    for uid in ("a", "b"):
        await store.ensure_user("discord", uid)
    res = await enqueue_broadcast(store, Audience("discord"), "hi", "test")
    first = await claim_deliveries(store, "discord", lease_s=300)
    assert len(first) == 2
    assert await claim_deliveries(store, "discord", lease_s=300) == []  # leased
    again = await claim_deliveries(store, "discord", lease_s=0)  # the consumer died
    assert sorted(d.id for d in again) == sorted(d.id for d in first)
    assert all(d.attempts == 2 for d in again)
    for d in again:
        await report_delivery(store, d.id, False, "timeout")  # transient: queued with backoff

    await store.set_user_flags("discord", "b", blocked=True)
    from sqlalchemy import update

    from botcore.admin import models as am

    async with store.session() as s:
        await s.execute(update(am.Delivery).values(not_before=None))
    last = await claim_deliveries(store, "discord")
    assert [d.platform_user_id for d in last] == ["a"]
    status = await broadcast_status(store, res.broadcast_id or 0)
    assert status is not None and status["failed"] == 1 and status["sending"] == 1
