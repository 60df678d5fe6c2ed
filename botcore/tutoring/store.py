"""Quiz results and progress in SQL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from botcore.errors import StorageError
from botcore.memory import sql_models as m
from botcore.memory.sql_common import find_identity
from botcore.memory.stores import SqlAccess


@dataclass(frozen=True, slots=True)
class TopicProgress:
    """A user's results on one topic."""

    topic: str
    quizzes: int
    correct: int
    total: int
    best: int
    last_score: int
    last_total: int


async def save_result(store: SqlAccess, platform: str, user_id: str, topic: str, score: int,
                      total: int) -> int:
    """Record a finished quiz."""
    async with store.session() as s:
        found = await find_identity(s, platform, user_id)
        if found is None:
            raise StorageError(f"unknown user {platform}:{user_id}")
        row = m.QuizResult(user_id=found[0].id, topic=topic, score=score, total=total)
        s.add(row)
        await s.flush()
        return row.id


async def progress(store: SqlAccess, platform: str, user_id: str) -> list[TopicProgress]:
    """Per-topic totals, best and last score."""
    async with store.session() as s:
        found = await find_identity(s, platform, user_id)
        if found is None:
            return []
        uid = found[0].id
        rows = (await s.execute(
            select(m.QuizResult.topic, func.count(), func.sum(m.QuizResult.score),
                   func.sum(m.QuizResult.total), func.max(m.QuizResult.score))
            .where(m.QuizResult.user_id == uid).group_by(m.QuizResult.topic)
            .order_by(m.QuizResult.topic))).all()
        out = []
        for topic, n, correct, total, best in rows:
            last = (await s.execute(
                select(m.QuizResult.score, m.QuizResult.total)
                .where(m.QuizResult.user_id == uid, m.QuizResult.topic == topic)
                .order_by(m.QuizResult.id.desc()).limit(1))).one()
            out.append(TopicProgress(topic, int(n), int(correct or 0), int(total or 0),
                                     int(best or 0), int(last[0]), int(last[1])))
        return out
