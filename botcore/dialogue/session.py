"""Memory access for one turn, as the helpers of a turn see it (ARCHITECTURE §3).

:class:`TurnSession` is what the command router (:mod:`botcore.dialogue.command_router`) and the
human handoff (:mod:`botcore.handoff.service`) need from the dialogue manager: the stores, the
Redis soft-fail wrapper, the SQL retry wrapper and the write-through session state. They type
against it instead of importing :class:`~botcore.dialogue.manager.DialogueManager`, which
imports them, so no import circle runs through the manager. Imports nothing from the dialogue
package but the shared seams.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from botcore.config import Settings
from botcore.memory.base import ShortTermMemory
from botcore.memory.sql_store import SqlMemory
from botcore.messages import ConversationKey

T = TypeVar("T")


class TurnSession(Protocol):
    """The stores of a turn and the resilience around them (the dialogue manager has it)."""

    settings: Settings
    short: ShortTermMemory
    """Short-term memory (Redis): a cache, its calls go through :meth:`_soft`."""
    sql: SqlMemory
    """Long-term memory (SQL): the record, its calls go through :meth:`_sql`."""

    async def _soft(self, op: Awaitable[T], default: T) -> T:
        """A short-term (Redis) call that must not break the turn when Redis is down."""
        ...

    async def _sql(self, fn: Callable[[], Awaitable[T]]) -> T:
        """A SQL call, retried with backoff while the database is unavailable."""
        ...

    async def _state(self, key: ConversationKey) -> dict[str, str]:
        """Session state from the cache, rebuilt from SQL on a miss."""
        ...

    async def _set_state(self, key: ConversationKey, values: dict[str, str | None]) -> None:
        """Write-through: SQL holds the durable copy, Redis the cache."""
        ...
