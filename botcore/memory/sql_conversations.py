"""Conversations, their messages, session state and feedback in SQL
(see :class:`~botcore.memory.stores.ConversationStore`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from botcore.errors import StorageError
from botcore.memory import sql_models as m
from botcore.memory.base import StoredMessage, Turn
from botcore.memory.sql_common import (
    IDS_MAX,
    LAST_SEEN_EVERY_S,
    MAX_ROW_ID,
    SqlStoreBase,
    as_timestamp,
)
from botcore.messages import ConversationKey


class SqlConversations(SqlStoreBase):
    """Conversations, their messages, session state and feedback in SQL."""

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
                    if len(self._ids) > IDS_MAX:
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
        if ids is None or time.monotonic() - ids[2] > LAST_SEEN_EVERY_S:
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
                    select(m.Conversation).where(self._conv_where(key))
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
                     at=as_timestamp(r.created_at))
                for r in reversed(rows)
            ]

    async def reset_conversation(self, key: ConversationKey) -> None:
        """Older messages stay stored but leave the prompt."""
        async with self.session() as s:
            await s.execute(
                update(m.Conversation)
                .where(self._conv_where(key))
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
                                as_timestamp(r.created_at))) for r in rows]
