"""The adapters' side of the outbox: claim deliveries, send them at the platform's pace, report.

Works across processes and replicas (the SQL row is the lock): a claim is a lease; a delivery
whose adapter died mid-send is claimed again after ``lease_s``. Delivery is at-least-once.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update

from botcore.admin import models as am
from botcore.errors import AdapterError, BotcoreError, RateLimited, StorageError
from botcore.memory import sql_models as m
from botcore.memory.stores import SqlAccess

log = logging.getLogger(__name__)

PLATFORM_RATES: dict[str, float] = {"telegram": 25.0, "discord": 5.0}
"""Messages per second a broadcast may use (Telegram allows ~30/s to different chats; mass DMs
on Discord are throttled and look like spam when fast)."""
DEFAULT_RATE = 5.0
MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """One message an adapter must deliver.

    Attributes:
        chat_id: where to post; ``None`` means a direct message to ``platform_user_id``.
        attempts: how many times it was claimed, this claim included.
    """

    id: int
    broadcast_id: int
    kind: str
    platform: str
    platform_user_id: str
    chat_id: str | None
    thread_id: str | None
    text: str
    attempts: int


class DeliveryFailed(AdapterError):
    """Raised by a send function: the delivery failed (``permanent``: do not retry it)."""

    def __init__(self, reason: str, *, permanent: bool = True,
                 retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.retry_after = retry_after


SendFunc = Callable[[PendingDelivery], Awaitable[None]]

_WAKERS: dict[str, set[asyncio.Event]] = {}


def wake(platform: str) -> None:
    """Tell this process's outbox loops of ``platform`` that something was queued (a handoff
    notice must not wait for the next poll). Loops in other processes find it on their poll."""
    for event in _WAKERS.get(platform, ()):
        event.set()


def _claimable(platform: str, now: datetime, lease_s: float) -> ColumnElement[bool]:
    expired = m.utcnow() - timedelta(seconds=lease_s)
    return (am.Delivery.platform == platform) & (
        ((am.Delivery.status == am.QUEUED)
         & (am.Delivery.not_before.is_(None) | (am.Delivery.not_before <= now)))
        | ((am.Delivery.status == am.SENDING) & (am.Delivery.claimed_at < expired)))


async def claim_deliveries(store: SqlAccess, platform: str, limit: int = 20,
                           lease_s: float = 300.0) -> list[PendingDelivery]:
    """Claim up to ``limit`` due deliveries of ``platform`` (oldest first) for this caller.

    Deliveries to users who were blocked or deactivated since queueing fail with ``skipped``.
    """
    now = m.utcnow()
    token = uuid.uuid4().hex
    async with store.session() as s:
        gone = select(m.User.id).where(m.User.blocked.is_(True) | m.User.active.is_(False))
        await s.execute(update(am.Delivery).where(am.Delivery.platform == platform)
                        .where(am.Delivery.status == am.QUEUED)
                        .where(am.Delivery.user_id.in_(gone))
                        .values(status=am.FAILED, error="skipped: user blocked or inactive"))
        cond = _claimable(platform, now, lease_s)
        q = select(am.Delivery.id).where(cond).order_by(am.Delivery.id).limit(limit)
        if store.engine.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        ids = list((await s.execute(q)).scalars())
        if not ids:
            return []
        await s.execute(update(am.Delivery).where(am.Delivery.id.in_(ids)).where(cond).values(
            status=am.SENDING, claim_token=token, claimed_at=now,
            attempts=am.Delivery.attempts + 1))
        rows = (await s.execute(
            select(am.Delivery, am.Broadcast.text, am.Broadcast.kind)
            .join(am.Broadcast, am.Broadcast.id == am.Delivery.broadcast_id)
            .where(am.Delivery.claim_token == token).order_by(am.Delivery.id))).all()
        return [PendingDelivery(d.id, d.broadcast_id, kind, d.platform, d.platform_user_id,
                                d.chat_id, d.thread_id, text, d.attempts)
                for d, text, kind in rows]


async def report_delivery(store: SqlAccess, delivery_id: int, ok: bool, error: str | None = None,
                          *, permanent: bool = False, retry_after: float | None = None,
                          max_attempts: int = MAX_ATTEMPTS) -> str:
    """Record the outcome of one send; returns the new state (``sent``, ``queued`` or ``failed``).

    A transient failure goes back to the queue with a backoff (or ``retry_after`` seconds) until
    ``max_attempts`` claims were made.
    """
    async with store.session() as s:
        row = await s.get(am.Delivery, delivery_id)
        if row is None:  # the user was forgotten meanwhile
            return "gone"
        row.claim_token = None
        if ok:
            row.status, row.sent_at, row.error = am.SENT, m.utcnow(), None
        elif permanent or row.attempts >= max_attempts:
            row.status, row.error = am.FAILED, (error or "failed")[:500]
        else:
            delay = retry_after if retry_after is not None else min(300.0, 5.0 * 2 ** row.attempts)
            row.status, row.error = am.QUEUED, (error or "failed")[:500]
            row.not_before = m.utcnow() + timedelta(seconds=delay)
        return row.status


async def _deliver(store: SqlAccess, d: PendingDelivery, send: SendFunc) -> str:
    try:
        await send(d)
    except DeliveryFailed as exc:
        return await report_delivery(store, d.id, False, str(exc), permanent=exc.permanent,
                                     retry_after=exc.retry_after)
    except RateLimited as exc:
        return await report_delivery(store, d.id, False, str(exc), retry_after=exc.retry_after)
    except AdapterError as exc:
        return await report_delivery(store, d.id, False, str(exc), permanent=True)
    except Exception as exc:  # a transport error: retried with backoff
        log.warning("delivery %s to %s failed: %s", d.id, d.platform, type(exc).__name__)
        return await report_delivery(store, d.id, False, f"{type(exc).__name__}: {exc}")
    return await report_delivery(store, d.id, True)


async def drain_outbox(store: SqlAccess, platform: str, send: SendFunc, *,
                       rate_per_s: float | None = None, batch: int = 20) -> dict[str, int]:
    """Deliver every due delivery of ``platform`` now, paced; returns counts per outcome."""
    interval = 1.0 / (rate_per_s or PLATFORM_RATES.get(platform, DEFAULT_RATE))
    counts: dict[str, int] = {}
    last = 0.0
    while True:
        pending = await claim_deliveries(store, platform, batch)
        if not pending:
            return counts
        for d in pending:
            wait = last + interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            last = time.monotonic()
            outcome = await _deliver(store, d, send)
            counts[outcome] = counts.get(outcome, 0) + 1


async def consume_outbox(store: SqlAccess, platform: str, send: SendFunc, *,
                         stop: asyncio.Event | None = None, poll_s: float = 2.0,
                         rate_per_s: float | None = None, batch: int = 20) -> None:
    """Run for the adapter's lifetime: deliver due messages of ``platform`` until ``stop`` is set.

    Storage errors are logged and retried; they never end the loop (the adapter keeps serving).
    """
    stop = stop or asyncio.Event()
    woken = asyncio.Event()
    _WAKERS.setdefault(platform, set()).add(woken)
    try:
        await _consume(store, platform, send, stop, woken, poll_s, rate_per_s, batch)
    finally:
        _WAKERS.get(platform, set()).discard(woken)


async def _consume(store: SqlAccess, platform: str, send: SendFunc, stop: asyncio.Event,
                   woken: asyncio.Event, poll_s: float, rate_per_s: float | None,
                   batch: int) -> None:
    while not stop.is_set():
        woken.clear()
        try:
            counts = await drain_outbox(store, platform, send, rate_per_s=rate_per_s, batch=batch)
            if counts:
                log.info("outbox %s: %s", platform, counts)
        except (StorageError, BotcoreError) as exc:
            log.warning("outbox %s: %s; retrying", platform, exc)
        if woken.is_set():
            continue
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(woken.wait())]
        try:
            await asyncio.wait(waits, timeout=poll_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
