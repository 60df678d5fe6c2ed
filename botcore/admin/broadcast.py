"""Broadcasts: admins queue messages in the SQL outbox; the adapters deliver them.

The bot process owns the platform connections, so ``botctl`` never sends anything itself: it
writes one :class:`~botcore.admin.models.Broadcast` row and one
:class:`~botcore.admin.models.Delivery` row per reachable user, and each adapter drains the
deliveries of its platform with :func:`botcore.admin.outbox.consume_outbox` (docs/botctl.md,
"Outbox consumer contract"). Blocked and inactive users are skipped when queueing and again when
delivering.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, TypedDict

from sqlalchemy import func, select

from botcore.admin import models as am
from botcore.admin.audience import Audience
from botcore.admin.timeutil import iso
from botcore.errors import InputError
from botcore.memory.stores import SqlAccess

log = logging.getLogger(__name__)
MAX_TEXT = 4000


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    """What queueing a broadcast did (or, for a dry run, would do)."""

    broadcast_id: int | None
    queued: int
    skipped: int
    by_platform: dict[str, int] = field(default_factory=dict)


def _check_text(text: str) -> str:
    clean = text.strip()
    if not clean:
        raise InputError("the message is empty")
    if len(clean) > MAX_TEXT:
        raise InputError(f"the message is {len(clean)} characters; the limit is {MAX_TEXT}")
    return clean


async def _targets(store: SqlAccess, audience: Audience) -> tuple[list[Any], int]:
    async with store.session() as s:
        rows = (await s.execute(audience.query())).all()
    reachable = [(ident, user) for ident, user in rows if not user.blocked and user.active]
    return reachable, len(rows) - len(reachable)


async def preview(store: SqlAccess, audience: Audience) -> EnqueueResult:
    """A dry run: how many users would be queued and skipped, per platform. Writes nothing."""
    reachable, skipped = await _targets(store, audience)
    by_platform: dict[str, int] = {}
    for ident, _ in reachable:
        by_platform[ident.platform] = by_platform.get(ident.platform, 0) + 1
    return EnqueueResult(None, len(reachable), skipped, by_platform)


async def enqueue_broadcast(store: SqlAccess, audience: Audience, text: str,
                            actor: str) -> EnqueueResult:
    """Queue ``text`` for every reachable user of ``audience`` (a direct message to each).

    Raises:
        InputError: the text is empty or too long.
    """
    body = _check_text(text)
    reachable, skipped = await _targets(store, audience)
    by_platform: dict[str, int] = {}
    async with store.session() as s:
        row = am.Broadcast(kind="broadcast", audience=audience.describe(), text=body,
                           actor=actor, skipped=skipped)
        s.add(row)
        await s.flush()
        for ident, user in reachable:
            s.add(am.Delivery(broadcast_id=row.id, user_id=user.id, platform=ident.platform,
                              platform_user_id=ident.platform_user_id))
            by_platform[ident.platform] = by_platform.get(ident.platform, 0) + 1
        broadcast_id = row.id
    log.info("broadcast %s queued=%d skipped=%d", broadcast_id, len(reachable), skipped)
    return EnqueueResult(broadcast_id, len(reachable), skipped, by_platform)


async def enqueue_direct(store: SqlAccess, *, user_id: int | None, platform: str, platform_user_id: str,
                         chat_id: str | None, thread_id: str | None, text: str, actor: str,
                         kind: str = "escalation", label: str = "") -> int:
    """Queue one message to one user (e.g. a human's answer to an escalation); the broadcast id."""
    body = _check_text(text)
    async with store.session() as s:
        row = am.Broadcast(kind=kind, audience=(label or f"{platform}:{platform_user_id}")[:200],
                           text=body, actor=actor, skipped=0)
        s.add(row)
        await s.flush()
        s.add(am.Delivery(broadcast_id=row.id, user_id=user_id, platform=platform,
                          platform_user_id=platform_user_id, chat_id=chat_id,
                          thread_id=thread_id or None))
        return row.id


class BroadcastStatus(TypedDict):
    """A broadcast with its deliveries counted per state (``botctl broadcast status --json``)."""

    id: int
    kind: str
    audience: str
    text: str
    actor: str | None
    created_at: str | None
    total: int
    queued: int
    sending: int
    sent: int
    failed: int
    delivered: int
    skipped: int
    done: bool


def _status_dict(row: am.Broadcast, counts: dict[str, int]) -> BroadcastStatus:
    queued, sending, sent, failed = (counts.get(state, 0) for state in
                                     (am.QUEUED, am.SENDING, am.SENT, am.FAILED))
    return {"id": row.id, "kind": row.kind, "audience": row.audience, "text": row.text,
            "actor": row.actor, "created_at": iso(row.created_at),
            "total": queued + sending + sent + failed, "queued": queued, "sending": sending,
            "sent": sent, "failed": failed, "delivered": sent, "skipped": row.skipped,
            "done": queued + sending == 0}


async def broadcast_status(store: SqlAccess, broadcast_id: int) -> BroadcastStatus | None:
    """Counts per delivery state (``queued``, ``sending``, ``sent``, ``failed``), or None."""
    async with store.session() as s:
        row = await s.get(am.Broadcast, broadcast_id)
        if row is None:
            return None
        counts = dict((await s.execute(
            select(am.Delivery.status, func.count()).where(am.Delivery.broadcast_id == broadcast_id)
            .group_by(am.Delivery.status))).tuples().all())
        return _status_dict(row, counts)


async def list_broadcasts(store: SqlAccess, limit: int = 20) -> list[BroadcastStatus]:
    """The newest broadcasts with their delivery counts (the bot's own handoff notices to staff
    and timeout apologies, kind ``handoff``, are left out)."""
    async with store.session() as s:
        rows = (await s.execute(select(am.Broadcast).where(am.Broadcast.kind != "handoff")
                                .order_by(am.Broadcast.id.desc()).limit(limit))).scalars().all()
        ids = [r.id for r in rows]
        counts: dict[int, dict[str, int]] = {}
        for bid, status, n in (await s.execute(
                select(am.Delivery.broadcast_id, am.Delivery.status, func.count())
                .where(am.Delivery.broadcast_id.in_(ids))
                .group_by(am.Delivery.broadcast_id, am.Delivery.status))).tuples():
            counts.setdefault(bid, {})[status] = n
        return [_status_dict(r, counts.get(r.id, {})) for r in rows]
