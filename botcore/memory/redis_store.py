"""Short-term memory in Redis, shared by every bot process.

Keys (prefix ``botcore:``):

- ``turns:{conv}``  list of JSON turns, capped with LTRIM, TTL refreshed on write
- ``state:{conv}``  hash of session state, same TTL
- ``claim:{token}`` dedupe marker (SET NX EX)
- ``lock:{name}``   redis-py lock (token-checked release)
- ``rl:{bucket}``    sliding-window log of event times (sorted set)
- ``ukeys:{platform}:{user}`` set of the conversation keys holding a user's data (for /forget)

Connection failures become :class:`~botcore.errors.StorageUnavailable`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from botcore.errors import StorageError, StorageUnavailable
from botcore.memory.base import Turn
from botcore.messages import ConversationKey
from botcore.ordering import KeyedOrder

PREFIX = "botcore:"


def _glob_escape(value: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in value)


def _turn_json(turn: Turn) -> str:
    return json.dumps({"r": turn.role, "t": turn.text, "s": turn.skill, "a": turn.at},
                      ensure_ascii=False)


def _turn_from(raw: str | bytes) -> Turn:
    d = json.loads(raw)
    return Turn(role=d["r"], text=d["t"], skill=d.get("s"), at=d.get("a", 0.0))


class RedisShortTermMemory:
    """The Redis implementation of :class:`botcore.memory.base.ShortTermMemory`."""

    def __init__(self, client: aioredis.Redis, max_turns: int = 50,
                 ttl_s: int = 7 * 24 * 3600) -> None:
        self.redis = client
        self.max_turns = max_turns
        self.ttl_s = ttl_s
        # FIFO order among this process's waiters; the Redis lock then orders processes.
        self._local_locks = KeyedOrder()

    @classmethod
    def from_url(cls, url: str, **kwargs: int) -> RedisShortTermMemory:
        """Connect lazily to ``url``."""
        client = aioredis.from_url(url, decode_responses=True, health_check_interval=30,
                                   socket_connect_timeout=2, socket_timeout=5,
                                   retry_on_timeout=True)
        return cls(client, **kwargs)

    @staticmethod
    def _k(kind: str, key: ConversationKey) -> str:
        return f"{PREFIX}{kind}:{key}"

    async def _track(self, key: ConversationKey, *names: str) -> None:
        if key.user_id is not None:
            ukeys = f"{PREFIX}ukeys:{key.platform}:{key.user_id}"
            await self.redis.sadd(ukeys, *names)
            await self.redis.expire(ukeys, self.ttl_s * 2)

    @asynccontextmanager
    async def _errors(self) -> AsyncIterator[None]:
        try:
            yield
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StorageUnavailable(f"redis unavailable: {type(exc).__name__}") from exc
        except RedisError as exc:
            raise StorageError(f"redis error: {exc}") from exc

    async def recent_turns(self, key: ConversationKey, limit: int) -> list[Turn] | None:
        name = self._k("turns", key)
        async with self._errors():
            async with self.redis.pipeline(transaction=False) as p:
                p.exists(name)
                p.lrange(name, -limit, -1)
                exists, rows = await p.execute()
        if not exists:
            return None
        return [_turn_from(r) for r in rows] if limit > 0 else []

    async def append_turns(self, key: ConversationKey, turns: Sequence[Turn]) -> None:
        if not turns:
            return
        name = self._k("turns", key)
        async with self._errors():
            async with self.redis.pipeline(transaction=True) as p:
                p.rpush(name, *[_turn_json(t) for t in turns])
                p.ltrim(name, -self.max_turns, -1)
                p.expire(name, self.ttl_s)
                await p.execute()
            await self._track(key, name)

    async def replace_turns(self, key: ConversationKey, turns: Sequence[Turn]) -> None:
        name = self._k("turns", key)
        async with self._errors():
            async with self.redis.pipeline(transaction=True) as p:
                p.delete(name)
                # Redis lists cannot be empty: an empty history stays a miss (cheap to rebuild).
                if turns:
                    p.rpush(name, *[_turn_json(t) for t in turns[-self.max_turns:]])
                    p.expire(name, self.ttl_s)
                await p.execute()
            await self._track(key, name)

    async def get_state(self, key: ConversationKey) -> dict[str, str]:
        async with self._errors():
            raw = await self.redis.hgetall(self._k("state", key))
        return {str(k): str(v) for k, v in raw.items()}

    async def set_state(self, key: ConversationKey, values: Mapping[str, str | None]) -> None:
        name = self._k("state", key)
        sets = {k: v for k, v in values.items() if v is not None}
        dels = [k for k, v in values.items() if v is None]
        async with self._errors():
            async with self.redis.pipeline(transaction=True) as p:
                if sets:
                    p.hset(name, mapping=sets)  # type: ignore[arg-type]
                if dels:
                    p.hdel(name, *dels)
                p.expire(name, self.ttl_s)
                await p.execute()
            await self._track(key, name)

    async def clear(self, key: ConversationKey) -> None:
        async with self._errors():
            await self.redis.delete(self._k("turns", key), self._k("state", key))

    async def claim(self, token: str, ttl_s: float, value: str = "1") -> bool:
        async with self._errors():
            return bool(await self.redis.set(f"{PREFIX}claim:{token}", value, nx=True,
                                             px=max(1, int(ttl_s * 1000))))

    async def get_claim(self, token: str) -> str | None:
        async with self._errors():
            value = await self.redis.get(f"{PREFIX}claim:{token}")
        return None if value is None else str(value)

    async def set_claim(self, token: str, value: str, ttl_s: float) -> None:
        async with self._errors():
            await self.redis.set(f"{PREFIX}claim:{token}", value, px=max(1, int(ttl_s * 1000)))

    async def release(self, token: str) -> None:
        async with self._errors():
            await self.redis.delete(f"{PREFIX}claim:{token}")

    @asynccontextmanager
    async def lock(self, name: str, timeout_s: float) -> AsyncIterator[None]:
        entered = False
        try:
            async with self._local_locks(name, timeout_s):
                entered = True
                lock = self.redis.lock(f"{PREFIX}lock:{name}", timeout=timeout_s, sleep=0.005,
                                       blocking_timeout=timeout_s)
                async with self._errors():
                    acquired = await lock.acquire()
                if not acquired:
                    raise StorageError(f"lock {name!r} not acquired within {timeout_s}s")
                try:
                    yield
                finally:
                    try:
                        await lock.release()
                    except (LockError, RedisError):
                        pass  # expired or Redis restarted: nothing left to release
        except TimeoutError as exc:
            if entered:  # the body's own timeout
                raise
            raise StorageError(f"lock {name!r} not acquired within {timeout_s}s") from exc

    async def hit(self, bucket: str, limit: int, window_s: float) -> float:
        """Sliding-window log (a sorted set of event times): no double bursts at window edges."""
        now = time.time()
        name = f"{PREFIX}rl:{bucket}"
        member = f"{now:.6f}:{uuid.uuid4().hex[:6]}"
        async with self._errors():
            async with self.redis.pipeline(transaction=True) as p:
                p.zremrangebyscore(name, 0, now - window_s)
                p.zadd(name, {member: now})
                p.zcard(name)
                p.zrange(name, 0, 0, withscores=True)
                p.expire(name, int(window_s) + 1)
                _, _, count, oldest, _ = await p.execute()
        if int(count) <= limit:
            return 0.0
        first = float(oldest[0][1]) if oldest else now
        return max(0.001, first + window_s - now)

    async def forget_user(self, platform: str, user_id: str) -> int:
        ukeys = f"{PREFIX}ukeys:{platform}:{user_id}"
        async with self._errors():
            names = list(await self.redis.smembers(ukeys))
            # Also sweep by pattern: keys written before tracking existed, or whose set expired.
            pattern = f"{PREFIX}*:{_glob_escape(platform)}:*:*:{_glob_escape(user_id)}"
            async for found in self.redis.scan_iter(match=pattern, count=500):
                names.append(found)
            names.append(ukeys)
            unique = sorted(set(names))
            return int(await self.redis.delete(*unique)) if unique else 0

    async def ping(self) -> None:
        async with self._errors():
            await self.redis.ping()

    async def aclose(self) -> None:
        await self.redis.aclose()
