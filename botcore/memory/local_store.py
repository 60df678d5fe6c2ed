"""In-process short-term memory: the embedded default when no Redis is configured.

Same contract as the Redis store (see ``tests/botcore/memory/test_short_term_contract.py``), but
it lives and dies with the process; one bot process only.
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from botcore.errors import StorageError
from botcore.memory.base import Turn
from botcore.messages import ConversationKey
from botcore.ordering import KeyedOrder

MAX_KEYS = 100_000
"""Per map (turns, state, rate-limit buckets, claims): past it the least recently used goes."""


def _drop_expired(table: OrderedDict[Any, tuple[float, Any]], now: float) -> None:
    for key in [k for k, (expiry, _) in table.items() if expiry <= now]:
        del table[key]


def _now() -> float:
    """The clock of every expiry here (monotonic; a module function so tests can move it)."""
    return time.monotonic()


class LocalShortTermMemory:
    """Dicts with expiry; locks are FIFO ``asyncio.Lock`` objects.

    Nothing grows without bound: turns and session state expire ``ttl_s`` after their last
    write (SQL keeps the durable copy), rate-limit buckets when their window has passed, claims
    at their TTL; a sweep drops expired entries at least once a minute, and each map is capped
    at ``max_keys`` (least recently used first).
    """

    def __init__(self, max_turns: int = 50, ttl_s: float = 7 * 24 * 3600,
                 max_keys: int = MAX_KEYS) -> None:
        self.max_turns = max_turns
        self.ttl_s = ttl_s
        self.max_keys = max_keys
        self._turns: OrderedDict[ConversationKey, tuple[float, deque[Turn]]] = OrderedDict()
        self._state: OrderedDict[ConversationKey, tuple[float, dict[str, str]]] = OrderedDict()
        self._claims: OrderedDict[str, float] = OrderedDict()
        self._values: dict[str, str] = {}
        self._locks = KeyedOrder()
        self._windows: OrderedDict[str, tuple[float, deque[float]]] = OrderedDict()
        self._next_sweep = _now() + self._sweep_every

    @property
    def _sweep_every(self) -> float:
        return min(60.0, self.ttl_s)

    def sizes(self) -> dict[str, int]:
        """How many entries each map holds (for metrics and tests)."""
        return {"turns": len(self._turns), "state": len(self._state),
                "rate_limit_buckets": len(self._windows), "claims": len(self._claims),
                "locks": len(self._locks)}

    def _maintain(self) -> None:
        """Drop expired entries (at most once per sweep interval) and enforce the caps."""
        now = _now()
        if now >= self._next_sweep:
            self._next_sweep = now + self._sweep_every
            _drop_expired(self._turns, now)
            _drop_expired(self._state, now)
            _drop_expired(self._windows, now)
            for token in [t for t, expiry in self._claims.items() if expiry <= now]:
                del self._claims[token]
                self._values.pop(token, None)
        tables: tuple[OrderedDict[Any, Any], ...] = (self._turns, self._state, self._windows)
        for table in tables:
            while len(table) > self.max_keys:
                table.popitem(last=False)
        while len(self._claims) > self.max_keys:
            token, _ = self._claims.popitem(last=False)
            self._values.pop(token, None)

    async def recent_turns(self, key: ConversationKey, limit: int) -> list[Turn] | None:
        entry = self._turns.get(key)
        if entry is None or entry[0] < _now():
            self._turns.pop(key, None)
            return None
        return list(entry[1])[-limit:] if limit > 0 else []

    async def append_turns(self, key: ConversationKey, turns: Sequence[Turn]) -> None:
        entry = self._turns.pop(key, None)
        dq = entry[1] if entry and entry[0] >= _now() else deque(maxlen=self.max_turns)
        dq.extend(turns)
        self._turns[key] = (_now() + self.ttl_s, dq)
        self._maintain()

    async def replace_turns(self, key: ConversationKey, turns: Sequence[Turn]) -> None:
        self._turns.pop(key, None)
        self._turns[key] = (_now() + self.ttl_s, deque(turns, maxlen=self.max_turns))
        self._maintain()

    async def get_state(self, key: ConversationKey) -> dict[str, str]:
        entry = self._state.get(key)
        if entry is None or entry[0] < _now():
            self._state.pop(key, None)
            return {}
        return dict(entry[1])

    async def set_state(self, key: ConversationKey, values: Mapping[str, str | None]) -> None:
        entry = self._state.pop(key, None)
        state = entry[1] if entry and entry[0] >= _now() else {}
        for k, v in values.items():
            if v is None:
                state.pop(k, None)
            else:
                state[k] = v
        self._state[key] = (_now() + self.ttl_s, state)
        self._maintain()

    async def clear(self, key: ConversationKey) -> None:
        self._turns.pop(key, None)
        self._state.pop(key, None)

    async def claim(self, token: str, ttl_s: float, value: str = "1") -> bool:
        self._maintain()
        now = _now()
        while self._claims:  # drop expired claims from the oldest insertions
            first, first_expiry = next(iter(self._claims.items()))
            if first_expiry > now:
                break
            del self._claims[first]
            self._values.pop(first, None)
        expiry = self._claims.get(token)
        if expiry is not None and expiry > now:
            return False
        self._claims.pop(token, None)
        self._claims[token] = now + ttl_s
        self._values[token] = value
        return True

    async def get_claim(self, token: str) -> str | None:
        expiry = self._claims.get(token)
        if expiry is None or expiry <= _now():
            return None
        return self._values.get(token, "1")

    async def set_claim(self, token: str, value: str, ttl_s: float) -> None:
        self._claims.pop(token, None)
        self._claims[token] = _now() + ttl_s
        self._values[token] = value
        self._maintain()

    async def release(self, token: str) -> None:
        self._claims.pop(token, None)
        self._values.pop(token, None)

    @asynccontextmanager
    async def lock(self, name: str, timeout_s: float) -> AsyncIterator[None]:
        entered = False
        try:
            async with self._locks(name, timeout_s):
                entered = True
                yield
        except TimeoutError as exc:
            if entered:  # the body's own timeout
                raise
            raise StorageError(f"lock {name!r} not acquired within {timeout_s}s") from exc

    async def hit(self, bucket: str, limit: int, window_s: float) -> float:
        now = _now()
        entry = self._windows.pop(bucket, None)
        events = entry[1] if entry else deque()
        while events and events[0] <= now - window_s:
            events.popleft()
        events.append(now)
        self._windows[bucket] = (now + window_s, events)  # the bucket is empty after the window
        self._maintain()
        if len(events) <= limit:
            return 0.0
        return max(0.001, events[0] + window_s - now)

    async def forget_user(self, platform: str, user_id: str) -> int:
        doomed = [k for k in (*self._turns, *self._state)
                  if k.platform == platform and k.user_id == user_id]
        for key in set(doomed):
            self._turns.pop(key, None)
            self._state.pop(key, None)
        return len(set(doomed))

    async def ping(self) -> None:
        return None

    async def aclose(self) -> None:
        return None




SHORT_TERM_LOCK = "short-term.lock"
"""In the data dir: every bot process with in-process short-term memory holds it shared."""


class InProcessMemoryLock:
    """Marks a running bot whose short-term memory lives in its own process (no Redis).

    Held (shared) for the bot's lifetime; :func:`in_process_memory_in_use` tells another process
    (``botctl users forget``) that such a bot runs and cannot be reached. ``flock`` locks die
    with their process, so a crashed bot never leaves a stale marker. No-op where ``fcntl``
    does not exist.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / SHORT_TERM_LOCK
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the shared lock (never blocks: only an exclusive probe ever holds it briefly)."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX
            return
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_SH)

    def release(self) -> None:
        """Drop the lock."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def in_process_memory_in_use(data_dir: Path) -> bool:
    """True while a bot process with in-process short-term memory runs on ``data_dir``."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return False
    path = data_dir / SHORT_TERM_LOCK
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing drops our probe lock
    return False
