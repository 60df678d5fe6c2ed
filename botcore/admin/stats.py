"""Usage statistics for `botctl stats` and ``/admin stats`` (portable SQL: Postgres and SQLite)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from botcore.admin.timeutil import aware, iso
from botcore.jsontypes import JsonObject
from botcore.memory import sql_models as m
from botcore.memory.stores import SqlAccess


@dataclass(frozen=True, slots=True)
class DayCount:
    """Messages of one UTC day."""

    day: str
    incoming: int
    replies: int


@dataclass(frozen=True, slots=True)
class Stats:
    """Everything `botctl stats` reports for one window.

    ``incoming`` counts user messages, ``replies`` the bot's; latency is the time from receiving
    a message to having its reply (``messages.latency_ms`` of replies); ``feedback_ratio`` is
    👍 / (👍 + 👎), ``None`` without feedback.
    """

    since: str | None
    until: str
    incoming: int
    replies: int
    active_users: int
    new_users: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    feedback_up: int
    feedback_down: int
    feedback_ratio: float | None
    escalations_open: int
    escalations_new: int
    first_human_reply_p50_s: float | None = None
    """Median time from an escalation to the first human reply (escalations in the window)."""
    first_human_reply_p95_s: float | None = None
    escalations_expired: int = 0
    """Handed back to the bot by the timeout, unanswered."""
    per_day: list[DayCount] = field(default_factory=list)
    per_platform: dict[str, int] = field(default_factory=dict)
    per_skill: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> JsonObject:
        """JSON-ready."""
        return asdict(self)


def _day(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)[:10]


async def _percentile(s: Any, base: Any, n: int, p: float) -> float | None:
    """Nearest-rank percentile of ``base`` (a one-column select of non-null values)."""
    if n == 0:
        return None
    rank = max(1, -(-n * p // 100))  # ceil(n * p / 100)
    col = base.selected_columns[0]
    value = (await s.execute(base.order_by(col).offset(int(rank) - 1).limit(1))).scalar_one()
    return round(float(value), 1)


def _rank(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return None
    rank = int(max(1, -(-len(values) * p // 100)))  # ceil(n * p / 100)
    return round(values[rank - 1], 1)


async def compute_stats(store: SqlAccess, since: datetime | None) -> Stats:
    """Statistics of the messages, users, feedback and escalations since ``since`` (all if None)."""
    until = m.utcnow()

    def window(col: Any) -> Any:
        return col >= since if since is not None else col.is_not(None)

    msg = m.Message
    async with store.session() as s:
        by_role = dict((await s.execute(
            select(msg.role, func.count()).where(window(msg.created_at)).group_by(msg.role)
        )).tuples().all())
        days: dict[str, dict[str, int]] = {}
        day_col = func.date(msg.created_at)
        for day, role, n in (await s.execute(
                select(day_col, msg.role, func.count()).where(window(msg.created_at))
                .group_by(day_col, msg.role).order_by(day_col))).tuples():
            days.setdefault(_day(day), {})[role] = int(n)
        per_platform = dict((await s.execute(
            select(m.Conversation.platform, func.count()).select_from(msg)
            .join(m.Conversation, m.Conversation.id == msg.conversation_id)
            .where(window(msg.created_at)).where(msg.role == "user")
            .group_by(m.Conversation.platform).order_by(func.count().desc()))).tuples().all())
        per_skill = {(k or "(none)"): int(v) for k, v in (await s.execute(
            select(msg.skill, func.count()).where(window(msg.created_at))
            .where(msg.role == "assistant").group_by(msg.skill).order_by(func.count().desc())
        )).tuples()}
        active = int((await s.execute(
            select(func.count(func.distinct(msg.user_id))).where(window(msg.created_at))
            .where(msg.role == "user"))).scalar_one())
        new_users = int((await s.execute(
            select(func.count()).select_from(m.User).where(window(m.User.created_at))
        )).scalar_one())
        lat = (select(msg.latency_ms).where(window(msg.created_at))
               .where(msg.role == "assistant").where(msg.latency_ms.is_not(None)))
        n_lat = int((await s.execute(select(func.count()).select_from(lat.subquery())))
                    .scalar_one())
        p50 = await _percentile(s, lat, n_lat, 50)
        p95 = await _percentile(s, lat, n_lat, 95)
        fb = dict((await s.execute(
            select(m.Feedback.value, func.count()).where(window(m.Feedback.created_at))
            .group_by(m.Feedback.value))).tuples().all())
        esc_open = int((await s.execute(select(func.count()).select_from(m.Escalation)
                                        .where(m.Escalation.status == "open"))).scalar_one())
        esc_new = int((await s.execute(select(func.count()).select_from(m.Escalation)
                                       .where(window(m.Escalation.created_at)))).scalar_one())
        answered = (await s.execute(
            select(m.Escalation.created_at, m.Escalation.first_reply_at)
            .where(window(m.Escalation.created_at))
            .where(m.Escalation.first_reply_at.is_not(None)))).tuples().all()
        expired = int((await s.execute(select(func.count()).select_from(m.Escalation)
                                       .where(window(m.Escalation.created_at))
                                       .where(m.Escalation.status == "expired"))).scalar_one())
    waits = sorted(max(0.0, (aware(b) - aware(a)).total_seconds())  # type: ignore[operator]
                   for a, b in answered)
    up, down = int(fb.get(1, 0)), int(fb.get(-1, 0))
    return Stats(
        since=iso(since), until=iso(until) or "", incoming=int(by_role.get("user", 0)),
        replies=int(by_role.get("assistant", 0)), active_users=active, new_users=new_users,
        latency_p50_ms=p50, latency_p95_ms=p95, feedback_up=up, feedback_down=down,
        feedback_ratio=round(up / (up + down), 3) if up + down else None,
        escalations_open=esc_open, escalations_new=esc_new,
        first_human_reply_p50_s=_rank(waits, 50), first_human_reply_p95_s=_rank(waits, 95),
        escalations_expired=expired,
        per_day=[DayCount(d, c.get("user", 0), c.get("assistant", 0)) for d, c in days.items()],
        per_platform={k: int(v) for k, v in per_platform.items()},
        per_skill={str(k): int(v) for k, v in per_skill.items()},
    )


def summary_text(st: Stats) -> str:
    """A few lines for chat (``/admin stats``)."""
    lat = (f"p50 {st.latency_p50_ms:.0f} ms, p95 {st.latency_p95_ms:.0f} ms"
           if st.latency_p50_ms is not None and st.latency_p95_ms is not None else "no replies")
    ratio = f"{st.feedback_ratio:.0%} 👍" if st.feedback_ratio is not None else "no feedback"
    skills = ", ".join(f"{k} {v}" for k, v in st.per_skill.items()) or "-"
    platforms = ", ".join(f"{k} {v}" for k, v in st.per_platform.items()) or "-"
    return (f"Since {st.since or 'the start'}:\n"
            f"messages {st.incoming} in / {st.replies} replies; active users {st.active_users} "
            f"(new {st.new_users})\nplatforms: {platforms}\nskills: {skills}\n"
            f"latency: {lat}\nfeedback: {ratio} ({st.feedback_up}/{st.feedback_down})\n"
            f"escalations open: {st.escalations_open}; first human reply p50 "
            f"{'-' if st.first_human_reply_p50_s is None else f'{st.first_human_reply_p50_s:.0f} s'}")
