"""User administration: search, details, block, forget, export and the retention purge."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypedDict

from sqlalchemy import Select, delete, exists, func, or_, select, update

from botcore.admin import models as am
from botcore.admin.timeutil import iso
from botcore.errors import InputError, StorageError, StorageUnavailable
from botcore.memory import sql_models as m
from botcore.memory.base import ShortTermMemory
from botcore.memory.erase import erase_short_term
from botcore.memory.sql_common import find_identity
from botcore.memory.stores import PrivacyStore, SqlAccess, UserStore

log = logging.getLogger(__name__)


class UserLookup(UserStore, SqlAccess, Protocol):
    """What :func:`resolve_user` needs: one user by id, or a search."""


class Purgeable(PrivacyStore, SqlAccess, Protocol):
    """What :func:`purge` needs: raw deletes, and erasing inactive users."""


class UserRowJson(TypedDict):
    """A user as ``botctl users list --json`` prints them."""

    id: int
    refs: list[str]
    display_name: str | None
    created_at: str | None
    last_seen_at: str | None
    messages: int
    blocked: bool
    active: bool
    ref: str


class UserDetails(UserRowJson):
    """What is stored about one user (``botctl users show --json``)."""

    consent_training: bool
    conversations: int
    replies: int
    facts: int
    feedback_up: int
    feedback_down: int
    open_escalations: int
    quiz_results: int


class PurgeJson(TypedDict):
    """A :class:`PurgePlan` as ``botctl users purge --json`` prints it."""

    cutoff: str
    messages: int
    conversations: int
    summaries: int
    escalations: int
    broadcasts: int
    inactive_users: int


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user as `botctl users list` shows them."""

    id: int
    refs: tuple[str, ...]
    display_name: str | None
    created_at: str | None
    last_seen_at: str | None
    messages: int
    blocked: bool
    active: bool

    @property
    def ref(self) -> str:
        """The first ``platform:user_id`` (how the CLI names the user)."""
        return self.refs[0] if self.refs else f"#{self.id}"

    def as_dict(self) -> UserRowJson:
        """JSON-ready."""
        return {"id": self.id, "refs": list(self.refs), "display_name": self.display_name,
                "created_at": self.created_at, "last_seen_at": self.last_seen_at,
                "messages": self.messages, "blocked": self.blocked, "active": self.active,
                "ref": self.ref}


def split_ref(ref: str) -> tuple[str, str]:
    """``"telegram:42"`` → ``("telegram", "42")``.

    Raises:
        InputError: no ``platform:`` prefix.
    """
    platform, sep, uid = ref.partition(":")
    if not sep or not platform or not uid:
        raise InputError(f"bad user {ref!r}: use platform:user_id (e.g. telegram:12345)")
    return platform, uid


async def _rows(s: Any, users: list[m.User]) -> list[UserRow]:
    if not users:
        return []
    ids = [u.id for u in users]
    refs: dict[int, list[str]] = {}
    for ident in (await s.execute(select(m.Identity).where(m.Identity.user_id.in_(ids))
                                  .order_by(m.Identity.id))).scalars():
        refs.setdefault(ident.user_id, []).append(f"{ident.platform}:{ident.platform_user_id}")
    counts = dict((await s.execute(
        select(m.Message.user_id, func.count()).where(m.Message.user_id.in_(ids))
        .where(m.Message.role == "user").group_by(m.Message.user_id))).tuples().all())
    return [UserRow(u.id, tuple(refs.get(u.id, ())), u.display_name, iso(u.created_at),
                    iso(u.last_seen_at), int(counts.get(u.id, 0)), u.blocked, u.active)
            for u in users]


async def list_users(store: SqlAccess, *, query: str | None = None, platform: str | None = None,
                     blocked: bool | None = None, limit: int = 50) -> list[UserRow]:
    """Users, most recently seen first; ``query`` matches a ``platform:user_id``, a platform id
    or part of the display name (case-insensitive)."""
    q = select(m.User)
    if query:
        needle = f"%{query.lower()}%"
        ident = select(m.Identity.user_id).where(or_(
            (m.Identity.platform + ":" + m.Identity.platform_user_id) == query,
            m.Identity.platform_user_id == query))
        q = q.where(or_(m.User.id.in_(ident), func.lower(m.User.display_name).like(needle)))
    if platform:
        q = q.where(exists().where(m.Identity.user_id == m.User.id)
                    .where(m.Identity.platform == platform))
    if blocked is not None:
        q = q.where(m.User.blocked.is_(blocked))
    q = q.order_by(m.User.last_seen_at.desc(), m.User.id.desc()).limit(limit)
    async with store.session() as s:
        return await _rows(s, list((await s.execute(q)).scalars()))


async def resolve_user(store: UserLookup, who: str) -> tuple[str, str]:
    """Find one user by ``platform:user_id`` or by name; returns (platform, platform_user_id).

    Raises:
        InputError: nobody or several users match (the message lists them).
    """
    if ":" in who:
        platform, uid = split_ref(who)
        if await store.get_user(platform, uid) is None:
            raise InputError(f"no user {who}")
        return platform, uid
    found = await list_users(store, query=who, limit=6)
    low = who.lower()
    exact = [r for r in found if (r.display_name or "").lower() == low
             or any(ref.split(":", 1)[1].lower() == low for ref in r.refs)]
    found = exact or found
    if not found:
        raise InputError(f"no user matches {who!r} (use platform:user_id or part of a name)")
    if len(found) > 1:
        names = ", ".join(f"{r.ref} ({r.display_name or '-'})" for r in found[:5])
        raise InputError(f"{who!r} matches several users: {names}; use platform:user_id")
    return split_ref(found[0].ref)


async def user_details(store: SqlAccess, platform: str, uid: str) -> UserDetails:
    """Flags, identities and counts of what is stored about one user."""
    async with store.session() as s:
        found = await find_identity(s, platform, uid)
        if found is None:
            raise InputError(f"no user {platform}:{uid}")
        user = found[0]
        row = (await _rows(s, [user]))[0]

        async def count(model: Any, *where: Any) -> int:
            return int((await s.execute(select(func.count()).select_from(model).where(*where)))
                       .scalar_one())

        convs = await count(m.Conversation, m.Conversation.user_id == user.id)
        replies = await count(m.Message, m.Message.user_id == user.id,
                              m.Message.role == "assistant")
        facts = await count(m.Fact, m.Fact.user_id == user.id)
        feedback = dict((await s.execute(
            select(m.Feedback.value, func.count()).where(m.Feedback.user_id == user.id)
            .group_by(m.Feedback.value))).tuples().all())
        open_esc = await count(m.Escalation, m.Escalation.user_id == user.id,
                               m.Escalation.status == "open")
        quizzes = await count(m.QuizResult, m.QuizResult.user_id == user.id)
    return {**row.as_dict(), "consent_training": user.consent_training, "conversations": convs,
            "replies": replies, "facts": facts, "feedback_up": int(feedback.get(1, 0)),
            "feedback_down": int(feedback.get(-1, 0)), "open_escalations": open_esc,
            "quiz_results": quizzes}


async def forget_user(store: PrivacyStore, short: ShortTermMemory, platform: str,
                      uid: str) -> dict[str, int]:
    """Erase the user everywhere, as ``/forget`` does: SQL rows, then short-term (Redis) keys."""
    identities, shared = await store.erasure_targets(platform, uid)
    rows = await store.forget_user(platform, uid)
    try:
        keys = await erase_short_term(short, identities, shared)
    except StorageUnavailable as exc:
        raise StorageError(f"erased {platform}:{uid} from the database, but short-term memory is "
                           f"unreachable ({exc}); run the same command again when it is back"
                           ) from exc
    return {**rows, "short_term_keys": keys}


@dataclass(frozen=True, slots=True)
class PurgePlan:
    """What ``botctl users purge`` deletes (counts), computed before or after the deletion."""

    cutoff: str
    messages: int
    conversations: int
    summaries: int
    escalations: int
    broadcasts: int
    inactive_users: int

    def as_dict(self) -> PurgeJson:
        """JSON-ready."""
        return {"cutoff": self.cutoff, "messages": self.messages,
                "conversations": self.conversations, "summaries": self.summaries,
                "escalations": self.escalations, "broadcasts": self.broadcasts,
                "inactive_users": self.inactive_users}


def _purge_selects(cutoff: datetime) -> dict[str, Select[int]]:
    old_msgs = select(m.Message.id).where(m.Message.created_at < cutoff)
    open_esc = select(m.Escalation.conversation_id).where(m.Escalation.status == "open").where(
        m.Escalation.conversation_id.is_not(None))
    empty_convs = select(m.Conversation.id).where(m.Conversation.created_at < cutoff).where(
        ~exists().where(m.Message.conversation_id == m.Conversation.id)
        .where(m.Message.created_at >= cutoff)).where(m.Conversation.id.not_in(open_esc))
    return {
        "messages": old_msgs,
        "summaries": select(m.Summary.id).where(m.Summary.created_at < cutoff),
        "escalations": select(m.Escalation.id).where(m.Escalation.status != "open")
        .where(m.Escalation.created_at < cutoff),
        "conversations": empty_convs,
        "broadcasts": select(am.Broadcast.id).where(am.Broadcast.created_at < cutoff).where(
            ~exists().where(am.Delivery.broadcast_id == am.Broadcast.id)
            .where(am.Delivery.status.in_((am.QUEUED, am.SENDING)))),
        "inactive_users": select(m.User.id).where(m.User.last_seen_at < cutoff),
    }


async def plan_purge(store: SqlAccess, cutoff: datetime, *, inactive_users: bool) -> PurgePlan:
    """Count what :func:`purge` would delete."""
    async with store.session() as s:
        counts = {}
        for name, sub in _purge_selects(cutoff).items():
            counts[name] = int((await s.execute(
                select(func.count()).select_from(sub.subquery()))).scalar_one())
    if not inactive_users:
        counts["inactive_users"] = 0
    return PurgePlan(iso(cutoff) or "", **counts)


async def purge(store: Purgeable, short: ShortTermMemory, cutoff: datetime, *,
                inactive_users: bool) -> PurgePlan:
    """Retention: delete every message, summary, closed escalation and finished broadcast
    (with its deliveries) created before ``cutoff``, then conversations with no message left
    that began before it; with ``inactive_users``, also erase (as ``forget``) every user not seen
    since ``cutoff``. Facts about active users stay.
    """
    plan = await plan_purge(store, cutoff, inactive_users=inactive_users)
    sel = _purge_selects(cutoff)
    if inactive_users:
        async with store.session() as s:
            gone = (await s.execute(
                select(m.Identity.platform, m.Identity.platform_user_id)
                .where(m.Identity.user_id.in_(sel["inactive_users"])))).tuples().all()
        for platform, uid in gone:
            await forget_user(store, short, platform, uid)
    async with store.session() as s:
        old = sel["messages"]
        await s.execute(update(m.Fact).where(m.Fact.source_message_id.in_(old))
                        .values(source_message_id=None))
        await s.execute(delete(m.Feedback).where(m.Feedback.message_id.in_(old)))
        await s.execute(delete(m.Message).where(m.Message.created_at < cutoff))
        await s.execute(delete(m.Summary).where(m.Summary.created_at < cutoff))
        await s.execute(delete(m.Escalation).where(m.Escalation.id.in_(sel["escalations"])))
        done = list((await s.execute(sel["broadcasts"])).scalars())
        await s.execute(delete(am.Delivery).where(am.Delivery.broadcast_id.in_(done)))
        await s.execute(delete(am.Broadcast).where(am.Broadcast.id.in_(done)))
        empty = list((await s.execute(sel["conversations"])).scalars())
        await s.execute(delete(m.Conversation).where(m.Conversation.id.in_(empty)))
    if store.engine.dialect.name == "sqlite":
        async with store.engine.connect() as conn:
            await conn.exec_driver_sql("VACUUM")
    log.info("purged data older than %s: %s", plan.cutoff, plan)
    return plan
