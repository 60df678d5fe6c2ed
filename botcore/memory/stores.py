"""Long-term memory split by concern: one small protocol per concern (issue #15).

A caller types against the concern it needs (the Telegram ``/settings`` command needs
:class:`AdminStore`, the recall of facts :class:`FactStore`…), not against the whole SQL tier;
:class:`~botcore.memory.sql_store.SqlMemory` implements them all, each concern in its own module
(``sql_users``, ``sql_conversations``, ``sql_facts``, ``sql_privacy``, ``sql_admin``).
:class:`LongTermMemory` is their union (declares nothing of its own but ``ping``/``aclose``);
:class:`SqlAccess` is for the modules that query their own tables (admin, FAQ, handoff, outbox).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from botcore.memory.base import (
    ChatSettings,
    Fact,
    ModelVersionRef,
    ModelVersionRow,
    StoredMessage,
    Turn,
    UserExport,
    UserRecord,
)
from botcore.memory.sql_common import PRIVATE_SCOPE
from botcore.messages import ConversationKey


@runtime_checkable
class UserStore(Protocol):
    """Users and their platform identities."""

    async def ensure_user(
        self, platform: str, platform_user_id: str, display_name: str | None = None
    ) -> UserRecord:
        """Get or create the user and its identity."""
        ...

    async def get_user(self, platform: str, platform_user_id: str) -> UserRecord | None:
        """The user, or None."""
        ...

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
        ...


@runtime_checkable
class ConversationStore(Protocol):
    """Conversations and their messages, durable session state, feedback on replies."""

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
        """Store one message; a second call with the same platform message id and role is a no-op."""
        ...

    async def has_message(self, conversation_id: int, platform_message_id: str) -> bool:
        """True if the conversation holds a message with that platform id (e.g. a reply)."""
        ...

    async def recent_turns(self, key: ConversationKey, limit: int) -> list[Turn]:
        """The last ``limit`` turns since the last reset, oldest first."""
        ...

    async def reset_conversation(self, key: ConversationKey) -> None:
        """Older messages stay stored but leave the prompt."""
        ...

    async def get_state(self, key: ConversationKey) -> dict[str, str]:
        """The durable session state of a conversation ({} if none)."""
        ...

    async def set_state(self, key: ConversationKey, values: Mapping[str, str | None]) -> None:
        """Merge ``values`` into the durable state (``None`` deletes a field)."""
        ...

    async def record_feedback(self, message_id: int, platform: str, user_id: str, value: int) -> bool:
        """Store 👍/👎 on a bot message in one of this user's conversations."""
        ...

    async def turns_between(self, key: ConversationKey, after_id: int, limit: int
                            ) -> list[tuple[int, Turn]]:
        """Messages with id > ``after_id`` (oldest first, at most ``limit``), since the reset."""
        ...


@runtime_checkable
class FactStore(Protocol):
    """Long-term facts about users and rolling summaries of conversations."""

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
        ...

    async def list_facts(self, platform: str, user_id: str) -> list[Fact]:
        """Facts about a user, oldest first."""
        ...

    async def facts_for_recall(self, platform: str, user_id: str, scope: str | None = None
                               ) -> list[tuple[str, list[float] | None]]:
        """Fact texts with their embeddings, oldest first (for relevance ranking); only those
        learned in ``scope`` when given."""
        ...

    async def recall_context(self, key: ConversationKey, platform: str, user_id: str,
                             scope: str = PRIVATE_SCOPE
                             ) -> tuple[list[tuple[str, list[float] | None]], tuple[str, int] | None]:
        """Facts learned in ``scope`` (with embeddings) and the latest summary, in one
        transaction."""
        ...

    async def latest_summary(self, key: ConversationKey) -> tuple[str, int] | None:
        """The newest rolling summary of a conversation and the message id it covers up to."""
        ...

    async def add_summary(self, key: ConversationKey, text: str, upto_message_id: int) -> None:
        """Store a rolling summary."""
        ...

    async def delete_fact(self, platform: str, user_id: str, fact_id: int) -> bool:
        """Delete one of this user's facts."""
        ...


@runtime_checkable
class PrivacyStore(Protocol):
    """Privacy: what short-term memory holds of a user, erasing them everywhere, exporting their data."""

    async def erasure_targets(self, platform: str, user_id: str
                              ) -> tuple[list[tuple[str, str]], list[ConversationKey]]:
        """What short-term memory holds of a user: every linked identity (platform, id), and
        the shared group conversations where they spoke (whose cached turns hold their words)."""
        ...

    async def forget_user(self, platform: str, user_id: str) -> dict[str, int]:
        """Delete every row about the user (all their identities); return counts per table."""
        ...

    async def export_user(self, platform: str, user_id: str) -> UserExport:
        """Everything stored about the user, JSON-serializable."""
        ...


@runtime_checkable
class AdminStore(Protocol):
    """Operator data: per-chat settings, model versions, the audit log."""

    async def get_chat_settings(self, platform: str, chat_id: str) -> ChatSettings:
        """Per-chat / per-guild settings ({} when none are set)."""
        ...

    async def set_chat_settings(self, platform: str, chat_id: str, values: Mapping[str, Any]) -> None:
        """Merge ``values`` into the chat's settings; a ``None`` value removes the key."""
        ...

    async def register_model_version(self, name: str, path: str, metrics: Mapping[str, Any]) -> int:
        """Record a trained model version (inactive until activated)."""
        ...

    async def list_model_versions(self) -> list[ModelVersionRow]:
        """All registered versions, newest first."""
        ...

    async def activate_model_version(self, name: str) -> bool:
        """Make ``name`` the one active version; False if unknown."""
        ...

    async def active_model_version(self) -> ModelVersionRef | None:
        """The active version, or None (the shipped default)."""
        ...

    async def audit(self, actor: str, action: str, target: str | None = None,
                    details: Mapping[str, Any] | None = None) -> None:
        """Write an admin action to the audit log."""
        ...


@runtime_checkable
class LongTermMemory(UserStore, ConversationStore, FactStore, PrivacyStore, AdminStore, Protocol):
    """Everything durable, in SQL (SQLAlchemy 2 async; Postgres or SQLite): every concern above."""

    async def ping(self) -> None:
        """Raise :class:`botcore.errors.StorageUnavailable` if the database is unreachable."""
        ...

    async def aclose(self) -> None:
        """Dispose the engine."""
        ...


@runtime_checkable
class SqlAccess(Protocol):
    """Raw transactions on the SQL tier, for modules that query tables of their own."""

    @property
    def engine(self) -> AsyncEngine:
        """The async engine (its dialect decides some statements)."""
        ...

    def session(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A transaction; driver errors come out as botcore storage errors."""
        ...

    def forget_conversation_ids(self) -> None:
        """Drop the cached conversation ids (after raw SQL moved conversations between users)."""
        ...


@runtime_checkable
class SqlTier(LongTermMemory, SqlAccess, Protocol):
    """Every concern and raw transactions: for the few callers that need several at once."""
