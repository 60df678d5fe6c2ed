"""Per-key ordering: the holders of one key run one at a time, in arrival order.

Used wherever turns of one conversation must not overlap (the dialogue manager, the adapters).
Only public asyncio API is used: each key counts its holders and waiters itself, so its entry is
dropped as soon as nobody holds or waits for it, and memory stays bounded by the keys in use.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

__all__ = ["KeyedOrder"]


@dataclass(slots=True)
class _Slot:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # the holder and everyone waiting


class KeyedOrder:
    """One FIFO queue per key, dropped when nobody holds or waits for it.

    Example:
        >>> order = KeyedOrder()
        >>> async def turn(chat: str) -> None:
        ...     async with order(chat):
        ...         ...  # turns of one chat never overlap and keep arrival order

    Arrival order is the order in which ``order(key)`` is entered: nothing is awaited before a
    caller takes its place in the queue. A waiter that is cancelled (or times out) leaves the queue
    without holding up the others.
    """

    def __init__(self) -> None:
        self._slots: dict[Hashable, _Slot] = {}

    def __len__(self) -> int:
        """Number of keys held or waited for right now."""
        return len(self._slots)

    def busy(self, key: Hashable) -> bool:
        """Whether someone holds or waits for ``key``."""
        return key in self._slots

    @asynccontextmanager
    async def __call__(self, key: Hashable, timeout_s: float | None = None) -> AsyncIterator[None]:
        """Hold ``key`` for the body of an ``async with``, after those who came before.

        Args:
            key: what to order by (a conversation key, a chat id).
            timeout_s: give up waiting after this many seconds (None: wait as long as it takes).

        Raises:
            TimeoutError: ``timeout_s`` passed before it was our turn (never raised by the body's
                own timeouts: those propagate unchanged).
        """
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
        slot.users += 1
        try:
            async with asyncio.timeout(timeout_s):
                await slot.lock.acquire()
        except BaseException:  # cancelled or timed out while waiting: give up our place
            self._leave(key, slot)
            raise
        try:
            yield
        finally:
            slot.lock.release()
            self._leave(key, slot)

    def _leave(self, key: Hashable, slot: _Slot) -> None:
        slot.users -= 1
        if slot.users == 0 and self._slots.get(key) is slot:
            del self._slots[key]
