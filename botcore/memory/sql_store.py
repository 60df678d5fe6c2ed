"""Long-term memory in SQL (SQLAlchemy 2 async, Postgres or SQLite).

Every method opens its own short transaction. Connection failures are wrapped in
:class:`~botcore.errors.StorageUnavailable` so the dialogue manager can retry them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from botcore.errors import StorageError, StorageUnavailable
from botcore.memory import sql_models as m
from botcore.memory.base import Fact, StoredMessage, Turn, UserRecord
from botcore.messages import ChatType, ConversationKey, IncomingMessage

log = logging.getLogger(__name__)
_IDS_MAX = 50_000
MAX_ROW_ID = 2**31 - 1
"""Row ids are 32-bit integers on Postgres: a larger id (forged button data) matches nothing."""
_LAST_SEEN_EVERY_S = 60.0


PRIVATE_SCOPE = "private"


def fact_scope(message: IncomingMessage) -> str:
    """Where facts from ``message`` may be recalled: every private chat of the user, or only the
    group it was said in."""
    if message.chat_type is ChatType.PRIVATE:
        return PRIVATE_SCOPE
    return f"chat:{message.platform}:{message.chat_id}"


def _is_data_error(exc: BaseException) -> bool:
    """SQLSTATE class 22 (data exception: bad encoding, too long…)."""
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(code, str) and code.startswith("22")


def _clean_name(name: str | None) -> str | None:
    """A platform display name fit for the column: no NUL or lone surrogates, ≤ 200 chars."""
    if name is None:
        return None
    name = name.encode("utf-8", "replace").decode("utf-8").replace("\x00", "").strip()[:200]
    return name or None


def _ts(value: datetime | None) -> float:
    if value is None:
        return 0.0
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def _user_record(user: m.User, identity: m.Identity) -> UserRecord:
    return UserRecord(
        id=user.id,
        platform=identity.platform,
        platform_user_id=identity.platform_user_id,
        display_name=user.display_name,
        blocked=user.blocked,
        active=user.active,
        consent_training=user.consent_training,
    )


class SqlMemory:
    """The SQL tier. Implements :class:`botcore.memory.base.LongTermMemory` and admin queries."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        # conversation key -> (conversation id, user id, when last_seen_at was written): lets
        # record_message store a message with one INSERT. Postgres only: its ids are never
        # reused, so a stale entry (the user was erased meanwhile) fails its foreign key.
        self._ids: dict[ConversationKey, tuple[int, int | None, float]] = {}
        self._fast = engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A transaction; driver errors come out as botcore storage errors."""
        try:
            async with self.sessions() as session, session.begin():
                yield session
        except (OperationalError, DBAPIError, OSError, ConnectionError) as exc:
            if isinstance(exc, IntegrityError):
                raise
            if _is_data_error(exc):  # bad data is not an outage: do not retry it
                raise StorageError(f"the database refused the data: {exc}") from exc
            raise StorageUnavailable(f"database unavailable: {type(exc).__name__}") from exc

    async def ping(self) -> None:
        """Raise :class:`StorageUnavailable` if the database is unreachable."""
        async with self.session() as s:
            await s.execute(text("SELECT 1"))

    async def aclose(self) -> None:
        """Dispose the engine."""
        await self.engine.dispose()

    # users -----------------------------------------------------------------------------------

    async def _find_identity(
        self, s: AsyncSession, platform: str, platform_user_id: str
    ) -> tuple[m.User, m.Identity] | None:
        row = (
            await s.execute(
                select(m.User, m.Identity)
                .join(m.Identity, m.Identity.user_id == m.User.id)
                .where(m.Identity.platform == platform)
                .where(m.Identity.platform_user_id == platform_user_id)
            )
        ).first()
        return (row[0], row[1]) if row else None

    async def _ensure_user(
        self, s: AsyncSession, platform: str, platform_user_id: str, display_name: str | None
    ) -> tuple[m.User, m.Identity]:
        display_name = _clean_name(display_name)
        found = await self._find_identity(s, platform, platform_user_id)
        if found:
            user, ident = found
            if display_name and user.display_name != display_name:
                user.display_name = display_name
            return user, ident
        try:
            async with s.begin_nested():
                user = m.User(display_name=display_name)
                s.add(user)
                await s.flush()
                ident = m.Identity(user_id=user.id, platform=platform, platform_user_id=platform_user_id)
                s.add(ident)
                await s.flush()
            return user, ident
        except IntegrityError:  # created concurrently by another process
            found = await self._find_identity(s, platform, platform_user_id)
            if not found:
                raise
            return found

    async def ensure_user(
        self, platform: str, platform_user_id: str, display_name: str | None = None
    ) -> UserRecord:
        """Get or create the user and its identity."""
        async with self.session() as s:
            user, ident = await self._ensure_user(s, platform, platform_user_id, display_name)
            return _user_record(user, ident)

    async def get_user(self, platform: str, platform_user_id: str) -> UserRecord | None:
        """The user, or None."""
        async with self.session() as s:
            found = await self._find_identity(s, platform, platform_user_id)
            return _user_record(*found) if found else None

    async def set_user_flags(
        self,
        platform: str,
        platform_user_id: str,
        *,
        blocked: bool | None = None,
        active: bool | None = None,
        consent_training: bool | None = None,
    ) -> bool:
        """Update flags; False if no such user."""
        async with self.session() as s:
            found = await self._find_identity(s, platform, platform_user_id)
            if not found:
                return False
            user = found[0]
            if blocked is not None:
                user.blocked = blocked
            if active is not None:
                user.active = active
            if consent_training is not None:
                user.consent_training = consent_training
            return True

    # conversations and messages --------------------------------------------------------------

    async def _conversation(
        self, s: AsyncSession, key: ConversationKey, user_id: int | None
    ) -> m.Conversation:
        where = (
            (m.Conversation.platform == key.platform)
            & (m.Conversation.chat_id == key.chat_id)
            & (m.Conversation.thread_id == (key.thread_id or ""))
            & (m.Conversation.scope_user_id == (key.user_id or ""))
        )
        conv = (await s.execute(select(m.Conversation).where(where))).scalar_one_or_none()
        if conv is not None:
            return conv
        try:
            async with s.begin_nested():
                conv = m.Conversation(
                    platform=key.platform,
                    chat_id=key.chat_id,
                    thread_id=key.thread_id or "",
                    scope_user_id=key.user_id or "",
                    user_id=user_id,
                )
                s.add(conv)
                await s.flush()
            return conv
        except IntegrityError:
            return (await s.execute(select(m.Conversation).where(where))).scalar_one()

    async def record_message(
        self,
        key: ConversationKey,
        role: str,
        text: str,
        *,
        skill: str | None = None,
        platform_message_id: str | None = None,
        latency_ms: float | None = None,
        meta: Mapping[str, Any] | None = None,
        display_name: str | None = None,
        author: str | None = None,
    ) -> StoredMessage:
        """Store one message; a second call with the same platform message id and role is a no-op.

        ``author`` (a platform user id) is whose turn this is when the conversation is a shared
        group's; the message row names that user, so /forget and /export find it.
        """
        shared_author = author if key.user_id is None else None
        if shared_author is None:
            fast = await self._record_fast(key, role, text, skill, platform_message_id,
                                           latency_ms, meta)
            if fast is not None:
                return fast
        try:
            async with self.session() as s:
                user_id: int | None = None
                if key.user_id is not None:
                    user, _ = await self._ensure_user(s, key.platform, key.user_id, display_name)
                    user_id = user.id
                    user.last_seen_at = m.utcnow()
                conv = await self._conversation(s, key, user_id)
                if shared_author is not None:
                    author_row, _ = await self._ensure_user(
                        s, key.platform, shared_author, display_name if role == "user" else None)
                    user_id = author_row.id
                if platform_message_id is not None:
                    existing = (
                        await s.execute(
                            select(m.Message.id)
                            .where(m.Message.conversation_id == conv.id)
                            .where(m.Message.role == role)
                            .where(m.Message.platform_message_id == platform_message_id)
                        )
                    ).scalar_one_or_none()
                    if existing is not None:
                        return StoredMessage(existing, conv.id, created=False)
                msg = m.Message(
                    conversation_id=conv.id,
                    user_id=user_id,
                    role=role,
                    text=text,
                    skill=skill,
                    platform_message_id=platform_message_id,
                    latency_ms=latency_ms,
                    meta=dict(meta) if meta else None,
                )
                s.add(msg)
                await s.flush()
                if self._fast and shared_author is None:
                    if len(self._ids) > _IDS_MAX:
                        self._ids.clear()
                    self._ids[key] = (conv.id, user_id, time.monotonic())
                return StoredMessage(msg.id, conv.id)
        except IntegrityError:  # a concurrent redelivery won the race
            async with self.session() as s:
                row = (
                    await s.execute(
                        select(m.Message.id, m.Message.conversation_id)
                        .join(m.Conversation, m.Conversation.id == m.Message.conversation_id)
                        .where(m.Conversation.platform == key.platform)
                        .where(m.Conversation.chat_id == key.chat_id)
                        .where(m.Message.role == role)
                        .where(m.Message.platform_message_id == platform_message_id)
                    )
                ).first()
                if row is None:
                    raise StorageError("message insert conflicted but no row was found") from None
                return StoredMessage(row[0], row[1], created=False)

    async def _record_fast(self, key: ConversationKey, role: str, text: str, skill: str | None,
                           platform_message_id: str | None, latency_ms: float | None,
                           meta: Mapping[str, Any] | None) -> StoredMessage | None:
        """One ``INSERT … ON CONFLICT DO NOTHING`` for a conversation stored here recently.

        None when the slow path must run: unknown conversation, ``last_seen_at`` due (once a
        minute), or the conversation/user was deleted meanwhile (its foreign key fails).
        """
        ids = self._ids.get(key)
        if ids is None or time.monotonic() - ids[2] > _LAST_SEEN_EVERY_S:
            return None
        from sqlalchemy.dialects.postgresql import insert

        conv_id, user_id, _ = ids
        stmt = insert(m.Message).values(
            conversation_id=conv_id, user_id=user_id, role=role, text=text, skill=skill,
            platform_message_id=platform_message_id, latency_ms=latency_ms,
            meta=dict(meta) if meta else None,
        ).on_conflict_do_nothing().returning(m.Message.id)
        try:
            async with self.session() as s:
                new_id = (await s.execute(stmt)).scalar_one_or_none()
                if new_id is None:  # stored before: a redelivery
                    existing = (await s.execute(
                        select(m.Message.id).where(m.Message.conversation_id == conv_id)
                        .where(m.Message.role == role)
                        .where(m.Message.platform_message_id == platform_message_id)
                    )).scalar_one()
                    return StoredMessage(existing, conv_id, created=False)
        except IntegrityError:
            self._ids.pop(key, None)
            return None
        return StoredMessage(new_id, conv_id)

    async def has_message(self, conversation_id: int, platform_message_id: str) -> bool:
        """True if the conversation holds a message with that platform id (e.g. a reply)."""
        async with self.session() as s:
            row = (await s.execute(
                select(m.Message.id).where(m.Message.conversation_id == conversation_id)
                .where(m.Message.platform_message_id == platform_message_id).limit(1))).first()
            return row is not None

    async def recent_turns(self, key: ConversationKey, limit: int) -> list[Turn]:
        """The last ``limit`` turns since the last reset, oldest first."""
        async with self.session() as s:
            conv = (
                await s.execute(
                    select(m.Conversation)
                    .where(m.Conversation.platform == key.platform)
                    .where(m.Conversation.chat_id == key.chat_id)
                    .where(m.Conversation.thread_id == (key.thread_id or ""))
                    .where(m.Conversation.scope_user_id == (key.user_id or ""))
                )
            ).scalar_one_or_none()
            if conv is None:
                return []
            q = select(m.Message).where(m.Message.conversation_id == conv.id)
            if conv.reset_at is not None:
                q = q.where(m.Message.created_at > conv.reset_at)
            rows = (
                (await s.execute(q.order_by(m.Message.id.desc()).limit(limit))).scalars().all()
            )
            return [
                Turn(role="user" if r.role == "user" else "assistant", text=r.text, skill=r.skill,
                     at=_ts(r.created_at))
                for r in reversed(rows)
            ]

    async def reset_conversation(self, key: ConversationKey) -> None:
        """Older messages stay stored but leave the prompt."""
        async with self.session() as s:
            await s.execute(
                update(m.Conversation)
                .where(m.Conversation.platform == key.platform)
                .where(m.Conversation.chat_id == key.chat_id)
                .where(m.Conversation.thread_id == (key.thread_id or ""))
                .where(m.Conversation.scope_user_id == (key.user_id or ""))
                .values(reset_at=m.utcnow())
            )

    async def get_state(self, key: ConversationKey) -> dict[str, str]:
        """The durable session state of a conversation ({} if none)."""
        async with self.session() as s:
            conv = (await s.execute(select(m.Conversation.state).where(self._conv_where(key))
                                    )).scalar_one_or_none()
            return dict(conv or {})

    async def set_state(self, key: ConversationKey, values: Mapping[str, str | None]) -> None:
        """Merge ``values`` into the durable state (``None`` deletes a field)."""
        async with self.session() as s:
            user_id = None
            if key.user_id is not None:
                user_id = (await self._ensure_user(s, key.platform, key.user_id, None))[0].id
            conv = await self._conversation(s, key, user_id)
            state = dict(conv.state or {})
            for k, v in values.items():
                if v is None:
                    state.pop(k, None)
                else:
                    state[k] = v
            conv.state = state

    @staticmethod
    def _conv_where(key: ConversationKey) -> Any:
        return (
            (m.Conversation.platform == key.platform)
            & (m.Conversation.chat_id == key.chat_id)
            & (m.Conversation.thread_id == (key.thread_id or ""))
            & (m.Conversation.scope_user_id == (key.user_id or ""))
        )

    async def record_feedback(self, message_id: int, platform: str, user_id: str, value: int) -> bool:
        """Store 👍/👎 on a bot message in one of this user's conversations."""
        if value not in (-1, 1):
            raise ValueError("feedback value must be +1 or -1")
        if not 1 <= message_id <= MAX_ROW_ID:
            return False
        async with self.session() as s:
            found = await self._find_identity(s, platform, user_id)
            if not found:
                return False
            user = found[0]
            mine = (m.Message.user_id == user.id) | (
                (m.Conversation.scope_user_id == user_id) & (m.Conversation.platform == platform))
            row = (
                await s.execute(
                    select(m.Message.id)
                    .join(m.Conversation, m.Conversation.id == m.Message.conversation_id)
                    .where(m.Message.id == message_id)
                    .where(m.Message.role == "assistant")
                    .where(mine)
                )
            ).first()
            if row is None:
                return False
            existing = (
                await s.execute(
                    select(m.Feedback)
                    .where(m.Feedback.message_id == message_id)
                    .where(m.Feedback.user_id == user.id)
                )
            ).scalar_one_or_none()
            if existing:
                existing.value = value
            else:
                s.add(m.Feedback(message_id=message_id, user_id=user.id, value=value))
            return True

    # facts -----------------------------------------------------------------------------------

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
                return Fact(existing.id, existing.text, _ts(existing.created_at),
                            existing.source_message_id, existing.scope)
            fact = m.Fact(user_id=user.id, text=text, source_message_id=source_message_id,
                          embedding=embedding, scope=scope)
            s.add(fact)
            await s.flush()
            return Fact(fact.id, fact.text, _ts(fact.created_at), source_message_id, scope)

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
            return [Fact(r.id, r.text, _ts(r.created_at), r.source_message_id, r.scope)
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

    async def turns_between(self, key: ConversationKey, after_id: int, limit: int
                            ) -> list[tuple[int, Turn]]:
        """Messages with id > ``after_id`` (oldest first, at most ``limit``), since the reset."""
        async with self.session() as s:
            conv = (await s.execute(select(m.Conversation).where(self._conv_where(key))
                                    )).scalar_one_or_none()
            if conv is None:
                return []
            q = select(m.Message).where(m.Message.conversation_id == conv.id,
                                        m.Message.id > after_id)
            if conv.reset_at is not None:
                q = q.where(m.Message.created_at > conv.reset_at)
            rows = (await s.execute(q.order_by(m.Message.id).limit(limit))).scalars().all()
            return [(r.id, Turn("user" if r.role == "user" else "assistant", r.text, r.skill,
                                _ts(r.created_at))) for r in rows]

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

    # privacy ---------------------------------------------------------------------------------

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

    async def export_user(self, platform: str, user_id: str) -> dict[str, Any]:
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

    # settings and model versions ---------------------------------------------------------------

    async def get_chat_settings(self, platform: str, chat_id: str) -> dict[str, Any]:
        """Per-chat / per-guild settings ({} when none are set)."""
        async with self.session() as s:
            row = await s.get(m.ChatSettings, (platform, chat_id))
            return dict(row.settings) if row and row.settings else {}

    async def set_chat_settings(self, platform: str, chat_id: str, values: Mapping[str, Any]) -> None:
        """Merge ``values`` into the chat's settings; a ``None`` value removes the key."""
        async with self.session() as s:
            row = await s.get(m.ChatSettings, (platform, chat_id))
            current = dict(row.settings) if row and row.settings else {}
            for k, v in values.items():
                if v is None:
                    current.pop(k, None)
                else:
                    current[k] = v
            if row is None:
                s.add(m.ChatSettings(platform=platform, chat_id=chat_id, settings=current))
            else:
                row.settings = current

    async def register_model_version(self, name: str, path: str, metrics: Mapping[str, Any]) -> int:
        """Record a trained model version (inactive until activated)."""
        async with self.session() as s:
            row = (await s.execute(
                select(m.ModelVersion).where(m.ModelVersion.name == name))).scalar_one_or_none()
            if row is None:
                row = m.ModelVersion(name=name, path=path, metrics=dict(metrics))
                s.add(row)
            else:
                row.path, row.metrics = path, dict(metrics)
            await s.flush()
            return row.id

    async def list_model_versions(self) -> list[dict[str, Any]]:
        """All registered versions, newest first."""
        async with self.session() as s:
            rows = (await s.execute(
                select(m.ModelVersion).order_by(m.ModelVersion.id.desc()))).scalars()
            return [
                {"name": r.name, "path": r.path, "metrics": r.metrics or {}, "active": r.active,
                 "created_at": r.created_at.isoformat()}
                for r in rows
            ]

    async def activate_model_version(self, name: str) -> bool:
        """Make ``name`` the one active version; False if unknown."""
        async with self.session() as s:
            row = (await s.execute(
                select(m.ModelVersion).where(m.ModelVersion.name == name))).scalar_one_or_none()
            if row is None:
                return False
            await s.execute(update(m.ModelVersion).values(active=False))
            row.active = True
            return True

    async def active_model_version(self) -> dict[str, Any] | None:
        """The active version, or None (the shipped default)."""
        async with self.session() as s:
            row = (await s.execute(
                select(m.ModelVersion).where(m.ModelVersion.active.is_(True)))).scalar_one_or_none()
            if row is None:
                return None
            return {"name": row.name, "path": row.path, "metrics": row.metrics or {}}

    async def audit(self, actor: str, action: str, target: str | None = None,
                    details: Mapping[str, Any] | None = None) -> None:
        """Write an admin action to the audit log."""
        async with self.session() as s:
            s.add(m.AuditLog(actor=actor, action=action, target=target,
                             details=dict(details) if details else None))
