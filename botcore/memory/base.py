"""Memory contracts: short-term (Redis or in-process) and long-term (SQL).

Short-term memory is a cache of what SQL holds: when ``recent_turns`` returns ``None`` (a miss,
e.g. after a Redis flush), the dialogue manager rebuilds it from long-term memory
(:class:`botcore.memory.stores.LongTermMemory`, the union of the concern protocols there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, Protocol, TypedDict, runtime_checkable

from botcore.messages import ConversationKey

Role = Literal["user", "assistant"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of a conversation as memory keeps it."""

    role: Role
    text: str
    skill: str | None = None
    at: float = 0.0


@dataclass(frozen=True, slots=True)
class UserRecord:
    """A user as SQL knows them."""

    id: int
    platform: str
    platform_user_id: str
    display_name: str | None
    blocked: bool = False
    active: bool = True
    consent_training: bool = False


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A persisted message; ``id`` is what feedback buttons refer to."""

    id: int
    conversation_id: int
    created: bool = True
    """False when the same platform message was already stored (a redelivery)."""


@dataclass(frozen=True, slots=True)
class Fact:
    """Something long-term memory knows about a user."""

    id: int
    text: str
    created_at: float
    source_message_id: int | None = None
    scope: str = "private"
    """``private`` or ``chat:PLATFORM:CHAT_ID``: where it was learned and may be recalled."""


class ChatSettings(TypedDict, total=False):
    """Settings of one chat or guild as stored (see :mod:`botcore.chat_settings`). The row is
    JSON written by earlier versions too, so readers still check each value's shape."""

    enabled_channels: list[str]
    """Chats/channels where the bot answers every message, not only when addressed."""
    skills: list[str]
    """The skills allowed here (absent: every skill the deployment allows)."""
    default_skill: str
    persona: str
    memory_scope: str
    """``user`` (one memory per member) or ``shared`` (one per chat)."""


class ExportedUser(TypedDict):
    """The user in an export."""

    display_name: str | None
    created_at: str
    consent_training: bool
    identities: list[str]


class ExportedConversation(TypedDict):
    """A conversation in an export."""

    id: int
    platform: str
    chat_id: str
    thread_id: str | None


class ExportedMessage(TypedDict):
    """A message in an export."""

    id: int
    conversation_id: int
    role: str
    text: str
    skill: str | None
    created_at: str


class ExportedFact(TypedDict):
    """A fact in an export."""

    id: int
    text: str
    scope: str
    created_at: str


class ExportedQuizResult(TypedDict):
    """A quiz result in an export."""

    topic: str
    score: int
    total: int
    created_at: str


class ExportedFeedback(TypedDict):
    """A 👍/👎 in an export."""

    message_id: int
    value: int


class UserExport(TypedDict):
    """Everything stored about a user (``/export``, ``botctl users export``); only ``user``
    (None) for an unknown user."""

    user: ExportedUser | None
    conversations: NotRequired[list[ExportedConversation]]
    messages: NotRequired[list[ExportedMessage]]
    facts: NotRequired[list[ExportedFact]]
    quiz_results: NotRequired[list[ExportedQuizResult]]
    feedback: NotRequired[list[ExportedFeedback]]


class ModelVersionRef(TypedDict):
    """The active model version: its name, checkpoint folder and evaluation metrics."""

    name: str
    path: str
    metrics: dict[str, Any]
    """The evaluation report (free-form JSON)."""


class ModelVersionRow(ModelVersionRef):
    """A registered model version (``botctl model list``)."""

    active: bool
    created_at: str


@runtime_checkable
class ShortTermMemory(Protocol):
    """Recent turns, session state, dedupe, locks and rate-limit counters (Redis or in-process)."""

    async def recent_turns(self, key: ConversationKey, limit: int) -> list[Turn] | None:
        """The last ``limit`` turns, oldest first; ``None`` when nothing is cached (a miss)."""
        ...

    async def append_turns(self, key: ConversationKey, turns: Sequence[Turn]) -> None:
        """Append turns to the capped list and refresh its TTL."""
        ...

    async def replace_turns(self, key: ConversationKey, turns: Sequence[Turn]) -> None:
        """Replace the cached turns (used to rebuild the cache from SQL)."""
        ...

    async def get_state(self, key: ConversationKey) -> dict[str, str]:
        """Session state (active skill, pinned mode, quiz in progress…)."""
        ...

    async def set_state(self, key: ConversationKey, values: Mapping[str, str | None]) -> None:
        """Update session state; a ``None`` value deletes that field."""
        ...

    async def clear(self, key: ConversationKey) -> None:
        """Drop cached turns and state of one conversation."""
        ...

    async def claim(self, token: str, ttl_s: float, value: str = "1") -> bool:
        """Atomically claim ``token`` (SET NX with TTL): True the first time, False after."""
        ...

    async def get_claim(self, token: str) -> str | None:
        """The value a live claim holds, or None."""
        ...

    async def set_claim(self, token: str, value: str, ttl_s: float) -> None:
        """Overwrite a claim (take over a dead owner's turn, mark a turn done, heartbeats)."""
        ...

    async def release(self, token: str) -> None:
        """Drop a claim (so a redelivery of a message we failed to process is answered)."""
        ...

    def lock(self, name: str, timeout_s: float) -> AbstractAsyncContextManager[None]:
        """A lock held for at most ``timeout_s`` seconds; waiters are served in order."""
        ...

    async def hit(self, bucket: str, limit: int, window_s: float) -> float:
        """Count one event in ``bucket``; 0.0 if within ``limit`` per window, else seconds to wait."""
        ...

    async def forget_user(self, platform: str, user_id: str) -> int:
        """Delete every key that holds this user's data; return how many were deleted."""
        ...

    async def ping(self) -> None:
        """Raise :class:`botcore.errors.StorageUnavailable` if the backend is unreachable."""
        ...

    async def aclose(self) -> None:
        """Close connections."""
        ...
