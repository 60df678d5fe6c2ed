"""The SQL side of a handoff: one open escalation per conversation, follow-ups, expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from botcore.admin.timeutil import aware
from botcore.errors import StorageError
from botcore.memory import sql_models as m
from botcore.memory.sql_common import conversation_row, find_identity
from botcore.memory.stores import SqlAccess
from botcore.messages import ConversationKey

OPEN, RESOLVED, EXPIRED = "open", "resolved", "expired"


@dataclass(frozen=True, slots=True)
class EscalationRef:
    """What the handoff needs to know about one escalation."""

    id: int
    status: str
    created_at: datetime
    user_id: int
    key: ConversationKey | None
    notified: bool


def _key(conv: m.Conversation | None) -> ConversationKey | None:
    if conv is None:
        return None
    return ConversationKey(conv.platform, conv.chat_id, conv.scope_user_id or None,
                           conv.thread_id or None)


async def open_escalation(store: SqlAccess, key: ConversationKey, user_id: str, question: str,
                          reason: str) -> tuple[int, bool]:
    """The conversation's open escalation (a repeat is attached to it: ``followups`` + 1), or a
    new one. Returns ``(id, created)``.

    Raises:
        StorageError: the user is unknown.
    """
    async with store.session() as s:
        found = await find_identity(s, key.platform, user_id)
        if found is None:
            raise StorageError(f"unknown user {key.platform}:{user_id}")
        conv = await conversation_row(s, key, found[0].id)
        current = (await s.execute(
            select(m.Escalation).where(m.Escalation.conversation_id == conv.id)
            .where(m.Escalation.status == OPEN).order_by(m.Escalation.id.desc()).limit(1)
        )).scalar_one_or_none()
        if current is not None:
            current.followups = (current.followups or 0) + 1
            return current.id, False
        row = m.Escalation(user_id=found[0].id, conversation_id=conv.id, question=question,
                           reason=reason, followups=0)
        s.add(row)
        await s.flush()
        return row.id, True


async def get_ref(store: SqlAccess, esc_id: int) -> EscalationRef | None:
    """One escalation with its conversation, or None."""
    async with store.session() as s:
        e = await s.get(m.Escalation, esc_id)
        if e is None:
            return None
        conv = await s.get(m.Conversation, e.conversation_id) if e.conversation_id else None
        return EscalationRef(e.id, e.status, aware(e.created_at) or m.utcnow(), e.user_id,
                             _key(conv), e.notified_at is not None)


async def mark_notified(store: SqlAccess, esc_id: int) -> None:
    """Staff were notified: the conversation is in human mode while the escalation is open."""
    async with store.session() as s:
        await s.execute(update(m.Escalation).where(m.Escalation.id == esc_id)
                        .values(notified_at=m.utcnow()))


async def attach(store: SqlAccess, esc_id: int) -> None:
    """Count one more message the user sent while waiting."""
    async with store.session() as s:
        await s.execute(update(m.Escalation).where(m.Escalation.id == esc_id)
                        .values(followups=m.Escalation.followups + 1))


async def expire(store: SqlAccess, esc_id: int) -> bool:
    """Close an open escalation nobody answered; True for the one caller that closed it."""
    async with store.session() as s:
        res = await s.execute(update(m.Escalation).where(m.Escalation.id == esc_id)
                              .where(m.Escalation.status == OPEN)
                              .values(status=EXPIRED, resolved_at=m.utcnow()))
        return bool(getattr(res, "rowcount", 0))


async def overdue(store: SqlAccess, timeout_s: float, limit: int = 100) -> list[EscalationRef]:
    """Open escalations in human mode older than ``timeout_s``."""
    cutoff = m.utcnow() - timedelta(seconds=timeout_s)
    async with store.session() as s:
        rows = (await s.execute(
            select(m.Escalation, m.Conversation)
            .outerjoin(m.Conversation, m.Conversation.id == m.Escalation.conversation_id)
            .where(m.Escalation.status == OPEN).where(m.Escalation.notified_at.is_not(None))
            .where(m.Escalation.created_at < cutoff).order_by(m.Escalation.id).limit(limit)
        )).tuples().all()
    return [EscalationRef(e.id, e.status, aware(e.created_at) or m.utcnow(), e.user_id,
                          _key(conv), True) for e, conv in rows]
