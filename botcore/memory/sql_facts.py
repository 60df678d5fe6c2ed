"""Long-term facts about users and rolling conversation summaries in SQL
(see :class:`~botcore.memory.stores.FactStore`)."""

from __future__ import annotations

from sqlalchemy import delete, select

from botcore.memory import sql_models as m
from botcore.memory.base import Fact
from botcore.memory.sql_common import (
    PRIVATE_SCOPE,
    SqlStoreBase,
    as_timestamp,
)
from botcore.messages import ConversationKey


class SqlFacts(SqlStoreBase):
    """Long-term facts about users and rolling conversation summaries in SQL."""

    async def add_fact(
        self,
        platform: str,
        user_id: str,
        text: str,
        *,
        source_message_id: int | None = None,
        embedding: list[float] | None = None,
        scope: str = PRIVATE_SCOPE,
    ) -> Fact:
        """Remember a fact about a user, learned in ``scope`` (see :func:`fact_scope`);
        the same text is not stored twice in one scope."""
        async with self.session() as s:
            user, _ = await self._ensure_user(s, platform, user_id, None)
            existing = (
                await s.execute(
                    select(m.Fact).where(m.Fact.user_id == user.id).where(m.Fact.text == text)
                    .where(m.Fact.scope == scope)
                )
            ).scalars().first()
            if existing:
                return Fact(existing.id, existing.text, as_timestamp(existing.created_at),
                            existing.source_message_id, existing.scope)
            fact = m.Fact(user_id=user.id, text=text, source_message_id=source_message_id,
                          embedding=embedding, scope=scope)
            s.add(fact)
            await s.flush()
            return Fact(fact.id, fact.text, as_timestamp(fact.created_at), source_message_id, scope)

    async def list_facts(self, platform: str, user_id: str) -> list[Fact]:
        """Facts about a user, oldest first."""
        async with self.session() as s:
            found = await self._find_identity(s, platform, user_id)
            if not found:
                return []
            rows = (
                await s.execute(
                    select(m.Fact).where(m.Fact.user_id == found[0].id).order_by(m.Fact.id)
                )
            ).scalars()
            return [Fact(r.id, r.text, as_timestamp(r.created_at), r.source_message_id, r.scope)
                    for r in rows]

    async def facts_for_recall(self, platform: str, user_id: str, scope: str | None = None
                               ) -> list[tuple[str, list[float] | None]]:
        """Fact texts with their embeddings, oldest first (for relevance ranking); only those
        learned in ``scope`` when given."""
        async with self.session() as s:
            found = await self._find_identity(s, platform, user_id)
            if not found:
                return []
            q = select(m.Fact.text, m.Fact.embedding).where(m.Fact.user_id == found[0].id)
            if scope is not None:
                q = q.where(m.Fact.scope == scope)
            rows = await s.execute(q.order_by(m.Fact.id))
            return [(r[0], r[1]) for r in rows]

    async def recall_context(self, key: ConversationKey, platform: str, user_id: str,
                             scope: str = PRIVATE_SCOPE
                             ) -> tuple[list[tuple[str, list[float] | None]], tuple[str, int] | None]:
        """Facts learned in ``scope`` (with embeddings) and the latest summary, in one
        transaction."""
        async with self.session() as s:
            found = await self._find_identity(s, platform, user_id)
            facts: list[tuple[str, list[float] | None]] = []
            if found:
                rows = await s.execute(select(m.Fact.text, m.Fact.embedding)
                                       .where(m.Fact.user_id == found[0].id)
                                       .where(m.Fact.scope == scope).order_by(m.Fact.id))
                facts = [(r[0], r[1]) for r in rows]
            row = (await s.execute(
                select(m.Summary.text, m.Summary.upto_message_id)
                .join(m.Conversation, m.Conversation.id == m.Summary.conversation_id)
                .where(self._conv_where(key)).order_by(m.Summary.id.desc()).limit(1))).first()
            return facts, ((row[0], int(row[1] or 0)) if row else None)

    async def latest_summary(self, key: ConversationKey) -> tuple[str, int] | None:
        """The newest rolling summary of a conversation and the message id it covers up to."""
        async with self.session() as s:
            row = (await s.execute(
                select(m.Summary.text, m.Summary.upto_message_id)
                .join(m.Conversation, m.Conversation.id == m.Summary.conversation_id)
                .where(self._conv_where(key)).order_by(m.Summary.id.desc()).limit(1))).first()
            return (row[0], int(row[1] or 0)) if row else None

    async def add_summary(self, key: ConversationKey, text: str, upto_message_id: int) -> None:
        """Store a rolling summary."""
        async with self.session() as s:
            conv = (await s.execute(select(m.Conversation).where(self._conv_where(key))
                                    )).scalar_one_or_none()
            if conv is not None:
                s.add(m.Summary(conversation_id=conv.id, text=text,
                                upto_message_id=upto_message_id))

    async def delete_fact(self, platform: str, user_id: str, fact_id: int) -> bool:
        """Delete one of this user's facts."""
        async with self.session() as s:
            found = await self._find_identity(s, platform, user_id)
            if not found:
                return False
            res = await s.execute(
                delete(m.Fact).where(m.Fact.id == fact_id).where(m.Fact.user_id == found[0].id)
            )
            return bool(getattr(res, "rowcount", 0))
