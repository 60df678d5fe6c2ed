"""A tiny in-process cache with expiry, for hot per-user reads (user flags, recall context).

Entries written by other processes become visible after ``ttl_s`` at the latest; this process
invalidates its own writes at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def _now() -> float:
    """The cache clock (a module function so tests can move it without touching asyncio's)."""
    return time.monotonic()


class TTLCache(Generic[K, V]):
    """LRU-bounded mapping whose entries expire ``ttl_s`` seconds after being set; expired
    entries are swept (at most once per ``ttl_s``) on writes, so none outlives ~2× its TTL."""

    def __init__(self, ttl_s: float, max_items: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._next_sweep = _now() + ttl_s

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        """The live value, or None."""
        hit = self._items.get(key)
        if hit is None:
            return None
        if hit[0] < _now():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return hit[1]

    def set(self, key: K, value: V) -> None:
        """Store ``value`` (evicting the least recently used entry when full)."""
        now = _now()
        self._items[key] = (now + self.ttl_s, value)
        self._items.move_to_end(key)
        if now >= self._next_sweep:
            self._next_sweep = now + self.ttl_s
            for old in [k for k, (expiry, _) in self._items.items() if expiry < now]:
                del self._items[old]
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)

    def pop(self, key: K, default: V | None = None) -> V | None:
        """Forget ``key``; its live value (or ``default``)."""
        hit = self._items.pop(key, None)
        return hit[1] if hit is not None and hit[0] >= _now() else default

    def clear(self) -> None:
        """Forget everything."""
        self._items.clear()
