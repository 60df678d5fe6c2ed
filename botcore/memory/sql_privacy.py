"""Privacy in SQL: what to erase, erasing a user everywhere, exporting their data
(see :class:`~botcore.memory.stores.PrivacyStore`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select

from botcore.memory import sql_models as m
from botcore.memory.base import UserExport
from botcore.memory.sql_common import (
    SqlStoreBase,
)
from botcore.messages import ConversationKey


class SqlPrivacy(SqlStoreBase):
    """Privacy in SQL: what to erase, erasing a user everywhere, exporting their data."""

    async def erasure_targets(self, platform: str, user_id: str
                              ) -> tuple[list[tuple[str, str]], list[ConversationKey]]:
        """What short-term memory holds of a user: every linked identity (platform, id), and
        the shared group conversations where they spoke (whose cached turns hold their words)."""
        async with self.session() as s:
            found = await self._find_identity(s, platform, user_id)
            if not found:
                return [(platform, user_id)], []
            uid = found[0].id
            idents = (await s.execute(select(m.Identity.platform, m.Identity.platform_user_id)
                                      .where(m.Identity.user_id == uid))).all()
            convs = (await s.execute(
                select(m.Conversation.platform, m.Conversation.chat_id, m.Conversation.thread_id)
                .where(m.Conversation.scope_user_id == "")
                .where(m.Conversation.id.in_(select(m.Message.conversation_id)
                                             .where(m.Message.user_id == uid))))).all()
            return ([(p, u) for p, u in idents],
                    [ConversationKey(p, c, None, t or None) for p, c, t in convs])

    async def forget_user(self, platform: str, user_id: str) -> dict[str, int]:
        """Delete every row about the user (all their identities); return counts per table.

        Also their messages in shared group conversations (and those conversations' summaries,
        which may quote them), and the outbox rows addressed only to them (escalation answers,
        link notices).
        """
        from botcore.admin import models as am

        counts: dict[str, int] = {}
        self._ids.clear()
        async with self.session() as s:
            found = await self._find_identity(s, platform, user_id)
            if not found:
                return counts
            uid = found[0].id
            conv_ids = select(m.Conversation.id).where(m.Conversation.user_id == uid)
            spoken_in = select(m.Message.conversation_id).where(m.Message.user_id == uid)
            own_sends = list((await s.execute(
                select(am.Delivery.broadcast_id).join(am.Broadcast)
                .where(am.Delivery.user_id == uid)
                .where(am.Broadcast.kind != "broadcast"))).scalars())
            # notices to staff about their escalations quote them ("escalation #N …")
            esc_ids = list((await s.execute(select(m.Escalation.id)
                                            .where(m.Escalation.user_id == uid))).scalars())
            for i in range(0, len(esc_ids), 500):
                labels = [am.Broadcast.audience == f"escalation #{e}" for e in esc_ids[i:i + 500]]
                labels += [am.Broadcast.audience.startswith(f"escalation #{e} ", autoescape=True)
                           for e in esc_ids[i:i + 500]]
                own_sends += list((await s.execute(
                    select(am.Broadcast.id).where(am.Broadcast.kind != "broadcast")
                    .where(or_(*labels)))).scalars())
            steps: list[tuple[str, Any]] = [
                ("deliveries", delete(am.Delivery).where(am.Delivery.user_id == uid)),
                ("deliveries", delete(am.Delivery).where(am.Delivery.broadcast_id.in_(own_sends))),
                ("broadcasts", delete(am.Broadcast).where(am.Broadcast.id.in_(own_sends))),
                ("summaries", delete(m.Summary).where(m.Summary.conversation_id.in_(spoken_in))),
                ("feedback", delete(m.Feedback).where(m.Feedback.user_id == uid)),
                ("facts", delete(m.Fact).where(m.Fact.user_id == uid)),
                ("quiz_results", delete(m.QuizResult).where(m.QuizResult.user_id == uid)),
                ("escalations", delete(m.Escalation).where(m.Escalation.user_id == uid)),
                ("summaries", delete(m.Summary).where(m.Summary.conversation_id.in_(conv_ids))),
                ("feedback_on_messages", delete(m.Feedback).where(
                    m.Feedback.message_id.in_(
                        select(m.Message.id).where(m.Message.conversation_id.in_(conv_ids)
                                                   | (m.Message.user_id == uid))))),
                ("facts_from_messages", delete(m.Fact).where(m.Fact.source_message_id.in_(
                    select(m.Message.id).where(m.Message.user_id == uid)))),
                ("messages", delete(m.Message).where(
                    (m.Message.user_id == uid) | m.Message.conversation_id.in_(conv_ids))),
                ("conversations", delete(m.Conversation).where(m.Conversation.user_id == uid)),
                ("identities", delete(m.Identity).where(m.Identity.user_id == uid)),
                ("users", delete(m.User).where(m.User.id == uid)),
            ]
            for name, stmt in steps:
                res = await s.execute(stmt)
                counts[name] = counts.get(name, 0) + int(getattr(res, "rowcount", 0) or 0)
        if self.engine.dialect.name == "sqlite":
            # secure_delete zeroes freed pages; VACUUM rewrites the file and the checkpoint
            # empties the WAL, so no copy of the erased rows stays on disk.
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("VACUUM")
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return counts

    async def export_user(self, platform: str, user_id: str) -> UserExport:
        """Everything stored about the user, JSON-serializable."""
        async with self.session() as s:
            found = await self._find_identity(s, platform, user_id)
            if not found:
                return {"user": None}
            user = found[0]
            idents = (await s.execute(
                select(m.Identity).where(m.Identity.user_id == user.id))).scalars().all()
            convs = (await s.execute(
                select(m.Conversation).where(m.Conversation.user_id == user.id))).scalars().all()
            msgs = (await s.execute(
                select(m.Message).where(m.Message.conversation_id.in_([c.id for c in convs])
                                        | (m.Message.user_id == user.id))
                .order_by(m.Message.id))).scalars().all()
            facts = (await s.execute(
                select(m.Fact).where(m.Fact.user_id == user.id))).scalars().all()
            quizzes = (await s.execute(
                select(m.QuizResult).where(m.QuizResult.user_id == user.id))).scalars().all()
            fb = (await s.execute(
                select(m.Feedback).where(m.Feedback.user_id == user.id))).scalars().all()
            return {
                "user": {
                    "display_name": user.display_name,
                    "created_at": user.created_at.isoformat(),
                    "consent_training": user.consent_training,
                    "identities": [f"{i.platform}:{i.platform_user_id}" for i in idents],
                },
                "conversations": [
                    {"id": c.id, "platform": c.platform, "chat_id": c.chat_id,
                     "thread_id": c.thread_id or None}
                    for c in convs
                ],
                "messages": [
                    {"id": r.id, "conversation_id": r.conversation_id, "role": r.role,
                     "text": r.text, "skill": r.skill, "created_at": r.created_at.isoformat()}
                    for r in msgs
                ],
                "facts": [{"id": f.id, "text": f.text, "scope": f.scope,
                           "created_at": f.created_at.isoformat()} for f in facts],
                "quiz_results": [{"topic": q.topic, "score": q.score, "total": q.total,
                                  "created_at": q.created_at.isoformat()} for q in quizzes],
                "feedback": [{"message_id": f.message_id, "value": f.value} for f in fb],
            }
