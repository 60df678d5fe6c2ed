"""Memory contracts: short-term (Redis or in-process) and long-term (SQL).

Short-term memory is a cache of what SQL holds: when ``recent_turns`` returns ``None`` (a miss,
e.g. after a Redis flush), the dialogue manager rebuilds it from long-term memory
(:class:`botcore.memory.stores.LongTermMemory`, the union of the concern protocols there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

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
