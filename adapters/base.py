"""The adapter contract: transport in, normalized messages through the dialogue manager, replies out.

Every adapter is built the same way: ``XAdapter(runtime, **options)``, where ``runtime`` is the
bot process's :class:`botcore.runtime.Runtime` (or anything shaped like :class:`AdapterRuntime`)
and the options are the adapter's own knobs; the entry point ``create_adapter`` of group
``botcore.adapters`` does exactly that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from botcore.config import Settings
from botcore.dialogue.protocols import TurnHandler
from botcore.memory.stores import SqlTier


@runtime_checkable
class Adapter(Protocol):
    """A running connection to one platform.

    ``run`` connects and serves until ``stop`` is called (or it is cancelled); ``stop`` lets
    in-flight turns finish before closing the transport.
    """

    name: str

    async def run(self) -> None:
        """Serve until stopped."""
        ...

    async def stop(self) -> None:
        """Finish in-flight turns and close."""
        ...


class AdapterRuntime(Protocol):
    """What an adapter takes from the bot process (:class:`botcore.runtime.Runtime` is one)."""

    @property
    def settings(self) -> Settings:
        """The bot's settings (tokens, API URLs, limits)."""
        ...

    @property
    def manager(self) -> TurnHandler:
        """What answers every normalized message (the dialogue manager)."""
        ...

    @property
    def long_term(self) -> SqlTier | None:
        """The SQL store (outbox, per-chat settings, user flags); None: run without one."""
        ...


@dataclass(frozen=True, slots=True)
class HandlerRuntime:
    """An :class:`AdapterRuntime` from a bare turn handler (tests, embedding botcore elsewhere)."""

    settings: Settings
    manager: TurnHandler
    long_term: SqlTier | None = None


AdapterFactory = Callable[..., Adapter]
"""The object an entry point of group ``botcore.adapters`` points to:
``create_adapter(runtime: Runtime, **options) -> Adapter`` (options are adapter-specific)."""
