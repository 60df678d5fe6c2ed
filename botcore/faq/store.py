"""FAQ entries in SQL."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select

from botcore.errors import StorageError
from botcore.faq.formats import FaqRecord
from botcore.memory import sql_models as m
from botcore.memory.sql_common import conversation_row, find_identity
from botcore.memory.stores import SqlAccess
from botcore.messages import ConversationKey


async def upsert_entries(store: SqlAccess, records: Iterable[FaqRecord]) -> int:
    """Insert or replace entries (their phrasings are replaced too); returns the count."""
    n = 0
    async with store.session() as s:
        for rec in records:
            row = await s.get(m.FaqEntry, rec.id)
            if row is None:
                s.add(m.FaqEntry(id=rec.id, answer=rec.answer, tags=rec.tags, url=rec.url))
            else:
                row.answer, row.tags, row.url = rec.answer, rec.tags, rec.url
                row.created_at = m.utcnow()
                await s.execute(delete(m.FaqQuestion).where(m.FaqQuestion.entry_id == rec.id))
            await s.flush()
            for q in dict.fromkeys(rec.questions):
                s.add(m.FaqQuestion(entry_id=rec.id, text=q))
            n += 1
    return n


async def all_entries(store: SqlAccess) -> list[FaqRecord]:
    """Every entry with its phrasings, ordered by id."""
    async with store.session() as s:
        entries = (await s.execute(select(m.FaqEntry).order_by(m.FaqEntry.id))).scalars().all()
        qs = (await s.execute(select(m.FaqQuestion).order_by(m.FaqQuestion.id))).scalars().all()
    by_id: dict[str, list[str]] = {}
    for q in qs:
        by_id.setdefault(q.entry_id, []).append(q.text)
    return [FaqRecord(e.id, e.answer, by_id.get(e.id, []), e.tags, e.url) for e in entries]


async def revision(store: SqlAccess) -> tuple[int, str]:
    """A cheap fingerprint of the knowledge base (changes when entries change)."""
    async with store.session() as s:
        row = (await s.execute(
            select(func.count(m.FaqQuestion.id), func.max(m.FaqEntry.created_at))
            .select_from(m.FaqEntry).outerjoin(m.FaqQuestion)
        )).one()
    return int(row[0] or 0), str(row[1])


async def create_escalation(store: SqlAccess, key: ConversationKey, user_id: str,
                            question: str) -> int:
    """Hand a question to a human: an open escalation row admins see in `botctl escalations`."""
    async with store.session() as s:
        found = await find_identity(s, key.platform, user_id)
        if found is None:
            raise StorageError(f"unknown user {key.platform}:{user_id}")
        conv = await conversation_row(s, key, found[0].id)
        row = m.Escalation(user_id=found[0].id, conversation_id=conv.id, question=question)
        s.add(row)
        await s.flush()
        return row.id
