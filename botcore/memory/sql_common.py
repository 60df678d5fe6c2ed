"""The SQL tier's foundation: the engine and its transactions, the row lookups every concern
shares (identity → user, conversation key → conversation) and the small helpers.

The concerns build on :class:`SqlStoreBase`: :mod:`~botcore.memory.sql_users`,
:mod:`~botcore.memory.sql_conversations`, :mod:`~botcore.memory.sql_facts`,
:mod:`~botcore.memory.sql_privacy` and :mod:`~botcore.memory.sql_admin`;
:class:`botcore.memory.sql_store.SqlMemory` is all of them at once.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from botcore.errors import StorageError, StorageUnavailable
from botcore.memory import sql_models as m
from botcore.memory.base import UserRecord
from botcore.messages import ChatType, ConversationKey, IncomingMessage

log = logging.getLogger(__name__)
IDS_MAX = 50_000
"""Cap on the conversation ids remembered for the one-INSERT path of ``record_message``."""
MAX_ROW_ID = 2**31 - 1
"""Row ids are 32-bit integers on Postgres: a larger id (forged button data) matches nothing."""
LAST_SEEN_EVERY_S = 60.0
"""How often a user's ``last_seen_at`` is written (the fast path skips it in between)."""


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


def as_timestamp(value: datetime | None) -> float:
    """A stored time as epoch seconds (0 for none; naive values are UTC)."""
    if value is None:
        return 0.0
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def user_record(user: m.User, identity: m.Identity) -> UserRecord:
    """The :class:`UserRecord` of a user row seen through one of its identities."""
    return UserRecord(
        id=user.id,
        platform=identity.platform,
        platform_user_id=identity.platform_user_id,
        display_name=user.display_name,
        blocked=user.blocked,
        active=user.active,
        consent_training=user.consent_training,
    )


async def find_identity(
    s: AsyncSession, platform: str, platform_user_id: str
) -> tuple[m.User, m.Identity] | None:
    """A user and the identity ``platform:platform_user_id`` of theirs, or None."""
    row = (
        await s.execute(
            select(m.User, m.Identity)
            .join(m.Identity, m.Identity.user_id == m.User.id)
            .where(m.Identity.platform == platform)
            .where(m.Identity.platform_user_id == platform_user_id)
        )
    ).first()
    return (row[0], row[1]) if row else None


def conversation_where(key: ConversationKey) -> Any:
    """The SQL condition that selects the conversation row of ``key``."""
    return (
        (m.Conversation.platform == key.platform)
        & (m.Conversation.chat_id == key.chat_id)
        & (m.Conversation.thread_id == (key.thread_id or ""))
        & (m.Conversation.scope_user_id == (key.user_id or ""))
    )


async def conversation_row(
    s: AsyncSession, key: ConversationKey, user_id: int | None
) -> m.Conversation:
    """The conversation row of ``key``, created (for ``user_id``) when missing."""
    conv = (await s.execute(select(m.Conversation).where(conversation_where(key)))
            ).scalar_one_or_none()
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
        return (await s.execute(select(m.Conversation).where(conversation_where(key)))).scalar_one()


async def ensure_identity(
    s: AsyncSession, platform: str, platform_user_id: str, display_name: str | None
) -> tuple[m.User, m.Identity]:
    """The user and identity ``platform:platform_user_id``, created when missing."""
    display_name = _clean_name(display_name)
    found = await find_identity(s, platform, platform_user_id)
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
        found = await find_identity(s, platform, platform_user_id)
        if not found:
            raise
        return found


class SqlStoreBase:
    """An async engine and its transactions. Connection failures are wrapped in
    :class:`~botcore.errors.StorageUnavailable` so callers can retry them."""

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

    def forget_conversation_ids(self) -> None:
        """Drop the cached conversation ids (after raw SQL moved conversations between users)."""
        self._ids.clear()

    async def ping(self) -> None:
        """Raise :class:`StorageUnavailable` if the database is unreachable."""
        async with self.session() as s:
            await s.execute(text("SELECT 1"))

    async def aclose(self) -> None:
        """Dispose the engine."""
        await self.engine.dispose()

    _find_identity = staticmethod(find_identity)

    _ensure_user = staticmethod(ensure_identity)

    _conversation = staticmethod(conversation_row)

    _conv_where = staticmethod(conversation_where)
