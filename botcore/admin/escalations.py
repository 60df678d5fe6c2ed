"""Escalations: questions the bot handed to a human. Admins answer them through the outbox."""

from __future__ import annotations

from typing import Any, Protocol, TypedDict

from sqlalchemy import select

from botcore.admin import outbox
from botcore.admin.broadcast import enqueue_direct
from botcore.admin.timeutil import aware, iso
from botcore.errors import InputError
from botcore.memory import sql_models as m
from botcore.memory.base import ShortTermMemory
from botcore.memory.stores import ConversationStore, SqlAccess
from botcore.messages import ConversationKey

STATUSES = ("open", "resolved", "expired", "all")
HANDOFF_STATE = ("handoff", "handoff_ack")
"""Session-state fields of human mode (botcore.handoff), cleared when an escalation closes."""


class EscalationRow(TypedDict):
    """One escalation as ``botctl escalations list --json`` prints it."""

    id: int
    status: str
    user: str | None
    user_name: str | None
    question: str
    answer: str | None
    chat_id: str | None
    created_at: str | None
    resolved_at: str | None
    reason: str | None
    followups: int
    notified_at: str | None
    first_reply_at: str | None
    waiting_s: float | None
    waiting: str


class ContextMessage(TypedDict):
    """A message of the conversation that led to an escalation."""

    role: str
    text: str
    skill: str | None
    created_at: str | None


class EscalationDetails(EscalationRow):
    """One escalation with the messages before it (``botctl escalations show --json``)."""

    context: list[ContextMessage]


class Resolution(TypedDict):
    """What :func:`resolve` did: the status the escalation ``was`` in before."""

    id: int
    was: str
    status: str


class ReplyReceipt(TypedDict):
    """What :func:`reply` did: the outbox broadcast carrying the answer, and to whom."""

    id: int
    status: str
    broadcast_id: int
    user: str
    chat_id: str


class Transcript(ConversationStore, SqlAccess, Protocol):
    """What :func:`reply` needs: the escalation's rows and the conversation's transcript."""


def waiting_seconds(e: m.Escalation) -> float | None:
    """How long the user waited: until the first human reply, or until now while open."""
    start = aware(e.created_at)
    if start is None:
        return None
    end = aware(e.first_reply_at) or (aware(e.resolved_at) if e.status != "open" else None)
    return max(0.0, ((end or m.utcnow()) - start).total_seconds())


def format_wait(seconds: float | None) -> str:
    """``4 s``, ``12 min``, ``3 h 05 min``."""
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def _row(e: m.Escalation, ident: m.Identity | None, conv: m.Conversation | None,
         name: str | None) -> EscalationRow:
    return {"id": e.id, "status": e.status, "user": (f"{ident.platform}:{ident.platform_user_id}"
                                                      if ident else None),
            "user_name": name, "question": e.question, "answer": e.answer,
            "chat_id": conv.chat_id if conv else None, "created_at": iso(e.created_at),
            "resolved_at": iso(e.resolved_at), "reason": e.reason, "followups": e.followups or 0,
            "notified_at": iso(e.notified_at), "first_reply_at": iso(e.first_reply_at),
            "waiting_s": None if (w := waiting_seconds(e)) is None else round(w, 1),
            "waiting": format_wait(waiting_seconds(e))}


def _select() -> Any:
    return (select(m.Escalation, m.Identity, m.Conversation, m.User.display_name)
            .join(m.User, m.User.id == m.Escalation.user_id)
            .outerjoin(m.Conversation, m.Conversation.id == m.Escalation.conversation_id)
            .outerjoin(m.Identity, (m.Identity.user_id == m.Escalation.user_id)
                       & ((m.Conversation.platform.is_(None))
                          | (m.Identity.platform == m.Conversation.platform))))


async def list_escalations(store: SqlAccess, status: str = "open",
                           limit: int = 50) -> list[EscalationRow]:
    """Escalations, oldest open first (``status``: open, resolved or all)."""
    if status not in STATUSES:
        raise InputError(f"bad status {status!r}: use {', '.join(STATUSES)}")
    q = _select()
    if status != "all":
        q = q.where(m.Escalation.status == status)
    order = m.Escalation.id.asc() if status == "open" else m.Escalation.id.desc()
    async with store.session() as s:
        rows = (await s.execute(q.order_by(order).limit(limit))).tuples().all()
    seen: set[int] = set()
    out = []
    for e, ident, conv, name in rows:
        if e.id not in seen:
            seen.add(e.id)
            out.append(_row(e, ident, conv, name))
    return out


async def get_escalation(store: SqlAccess, esc_id: int, context: int = 6) -> EscalationDetails:
    """One escalation with the last ``context`` messages of its conversation before it.

    Raises:
        InputError: no such escalation.
    """
    async with store.session() as s:
        row = (await s.execute(_select().where(m.Escalation.id == esc_id))).tuples().first()
        if row is None:
            raise InputError(f"no escalation #{esc_id}")
        e, ident, conv, name = row
        msgs: list[ContextMessage] = []
        if conv is not None:
            recent = (await s.execute(
                select(m.Message).where(m.Message.conversation_id == conv.id)
                .where(m.Message.created_at <= e.created_at)
                .order_by(m.Message.id.desc()).limit(context))).scalars().all()
            msgs = [{"role": r.role, "text": r.text, "skill": r.skill,
                     "created_at": iso(r.created_at)} for r in reversed(recent)]
    return {**_row(e, ident, conv, name), "context": msgs}


async def resolve(store: SqlAccess, esc_id: int, answer: str | None = None) -> Resolution:
    """Mark resolved (keeping ``answer`` when given).

    Raises:
        InputError: no such escalation.
    """
    async with store.session() as s:
        e = await s.get(m.Escalation, esc_id)
        if e is None:
            raise InputError(f"no escalation #{esc_id}")
        was = e.status
        e.status, e.resolved_at = "resolved", m.utcnow()
        if answer is not None:
            e.answer = answer
        conv = await s.get(m.Conversation, e.conversation_id) if e.conversation_id else None
        if conv is not None and conv.state and any(k in conv.state for k in HANDOFF_STATE):
            conv.state = {k: v for k, v in conv.state.items() if k not in HANDOFF_STATE}
    return {"id": esc_id, "was": was, "status": "resolved"}


async def reply(store: Transcript, short: ShortTermMemory | None, esc_id: int, text: str,
                actor: str) -> ReplyReceipt:
    """Answer as a human: store the answer, resolve, put it in the transcript and queue it to the
    user in the chat where they asked. Returns the escalation and the outbox broadcast id.

    Raises:
        InputError: no such escalation, it has no conversation, or the text is empty.
    """
    body = text.strip()
    if not body:
        raise InputError("the reply is empty")
    async with store.session() as s:
        e = await s.get(m.Escalation, esc_id)
        if e is None:
            raise InputError(f"no escalation #{esc_id}")
        conv = await s.get(m.Conversation, e.conversation_id) if e.conversation_id else None
        if conv is None or not conv.scope_user_id:
            raise InputError(f"escalation #{esc_id} has no conversation to answer in")
        user_id = e.user_id
        if e.first_reply_at is None:
            e.first_reply_at = m.utcnow()
        key = ConversationKey(conv.platform, conv.chat_id, conv.scope_user_id,
                              conv.thread_id or None)
    broadcast_id = await enqueue_direct(
        store, user_id=user_id, platform=key.platform, platform_user_id=key.user_id or "",
        chat_id=key.chat_id, thread_id=key.thread_id, text=body, actor=actor,
        kind="escalation", label=f"escalation #{esc_id}")
    await resolve(store, esc_id, body)
    await store.record_message(key, "assistant", body, skill="human",
                               platform_message_id=f"escalation:{esc_id}:{broadcast_id}",
                               meta={"escalation": esc_id, "by": actor})
    if short is not None:  # rebuild the cached turns so the bot sees the human's answer
        await short.replace_turns(key, await store.recent_turns(key, 50))
        await short.set_state(key, dict.fromkeys(HANDOFF_STATE))
    outbox.wake(key.platform)
    return {"id": esc_id, "status": "resolved", "broadcast_id": broadcast_id,
            "user": f"{key.platform}:{key.user_id}", "chat_id": key.chat_id}
