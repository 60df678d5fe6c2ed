"""Memory access for the turns of one dialogue manager (ARCHITECTURE §3).

Redis is a cache: when it is unreachable a turn goes on without it (:meth:`Session.soft`; the
conversation lock falls back to this process). SQL is the record: its errors are retried for a
while (:meth:`Session.sql`), then the turn gives up. The session also keeps this process's
short-lived copies (chat settings, users, recall context), all expiring and capped, and the
background memory updates still running. The stages of a turn, the command router and the human
handoff all take it; it imports nothing from the dialogue package but its TTL cache.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from botcore.config import Settings
from botcore.dialogue.ttl_cache import TTLCache
from botcore.errors import StorageUnavailable
from botcore.memory.base import ChatSettings, ShortTermMemory, Turn, UserRecord
from botcore.memory.erase import erase_short_term
from botcore.memory.local_store import LocalShortTermMemory
from botcore.memory.sql_store import fact_scope
from botcore.memory.stores import SqlTier
from botcore.messages import ConversationKey, IncomingMessage

log = logging.getLogger(__name__)
T = TypeVar("T")

CHAT_SETTINGS_TTL_S = 30.0
CACHE_TTL_S = 30.0
"""How long this process trusts its copy of a user's flags and recall context."""
LOADED = "_loaded"
"""Marks a cached session state as complete (so an empty state is not re-read from SQL)."""
RecallContext = tuple[list[tuple[str, list[float] | None]], tuple[str, int] | None]
"""A user's stored facts (with embeddings) and the conversation's latest summary."""


class Session:
    """The stores of the dialogue and the resilience around them, shared by every turn.

    Args:
        settings: the bot's settings.
        short_term: short-term memory (Redis), a cache: call it through :meth:`soft`.
        long_term: long-term memory (SQL), the record: call it through :meth:`sql`.
        sql_retry_s: how long a SQL call is retried while the database is unavailable.
    """

    def __init__(self, settings: Settings, short_term: ShortTermMemory, long_term: SqlTier,
                 *, sql_retry_s: float = 15.0) -> None:
        self.settings = settings
        self.short_term = short_term
        self.long_term = long_term
        self.sql_retry_s = sql_retry_s
        self.fallback = LocalShortTermMemory()
        """Where the conversation lock is taken while Redis is down."""
        self.chat_cache: TTLCache[tuple[str, str], ChatSettings] = TTLCache(CHAT_SETTINGS_TTL_S)
        self.users: TTLCache[tuple[str, str], UserRecord] = TTLCache(CACHE_TTL_S)
        self.recall_cache: TTLCache[tuple[str, str, str], RecallContext] = TTLCache(CACHE_TTL_S)
        self.since_summary: TTLCache[str, int] = TTLCache(3600.0)
        """Turns of each conversation since its summary was last checked."""
        self.background: set[asyncio.Task[Any]] = set()
        """Memory updates still running (facts, summaries)."""

    # resilience ------------------------------------------------------------------------------

    async def soft(self, op: Awaitable[T], default: T) -> T:
        """A short-term (Redis) call that must not break the turn when Redis is down."""
        try:
            return await op
        except StorageUnavailable as exc:
            log.warning("short-term memory unavailable, continuing without it: %s", exc)
            return default

    async def sql(self, fn: Callable[[], Awaitable[T]]) -> T:
        """A SQL call, retried with backoff while the database is unavailable."""
        deadline = time.monotonic() + self.sql_retry_s
        delay = 0.2
        while True:
            try:
                return await fn()
            except StorageUnavailable:
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("database unavailable, retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    @asynccontextmanager
    async def lock(self, key: ConversationKey) -> AsyncIterator[None]:
        """The conversation's lock across processes (this process's alone while Redis is down)."""
        try:
            cm = self.short_term.lock(f"conv:{key}", self.settings.lock_timeout_s)
            await cm.__aenter__()
        except StorageUnavailable:
            async with self.fallback.lock(f"conv:{key}", self.settings.lock_timeout_s):
                yield
            return
        try:
            yield
        finally:
            await cm.__aexit__(None, None, None)

    # conversation state ----------------------------------------------------------------------

    async def state(self, key: ConversationKey) -> dict[str, str]:
        """Session state from the cache, rebuilt from SQL on a miss."""
        state = await self.soft(self.short_term.get_state(key), {})
        if state.get(LOADED):
            return state
        state = await self.sql(lambda: self.long_term.get_state(key))
        await self.soft(self.short_term.set_state(key, {**state, LOADED: "1"}), None)
        return state

    async def set_state(self, key: ConversationKey, values: dict[str, str | None]) -> None:
        """Write-through: SQL holds the durable copy (durable fields only), Redis the cache."""
        await self.soft(self.short_term.set_state(key, values), None)
        await self.sql(lambda: self.long_term.set_state(key, {k: v for k, v in values.items()
                                                              if k != LOADED}))

    async def history(self, key: ConversationKey) -> list[Turn]:
        """The conversation's recent turns from the cache, rebuilt from SQL on a miss."""
        n = self.settings.recent_turns
        cached = await self.soft(self.short_term.recent_turns(key, n), None)
        if cached is not None:
            return cached
        turns = await self.sql(lambda: self.long_term.recent_turns(key, n))
        await self.soft(self.short_term.replace_turns(key, turns), None)
        return turns

    # cached copies ---------------------------------------------------------------------------

    async def chat_settings(self, message: IncomingMessage) -> ChatSettings:
        """Per-chat / per-guild settings (persona, default skill, memory scope), cached 30 s."""
        if message.chat_type == "private":
            return {}
        scope = (message.platform, message.settings_scope or message.chat_id)
        cached = self.chat_cache.get(scope)
        if cached is not None:
            return cached
        cfg = await self.sql(lambda: self.long_term.get_chat_settings(*scope))
        self.chat_cache.set(scope, cfg)
        return cfg

    def forget_chat_settings(self, platform: str, scope: str) -> None:
        """Drop the cached settings of one chat (after ``/settings`` changed them)."""
        self.chat_cache.pop((platform, scope))

    def allowed_skills(self, cfg: ChatSettings) -> tuple[str, ...]:
        """Skills that may answer: ``BOTCORE_SKILLS``, narrowed by the chat's ``skills``."""
        allowed = self.settings.allowed_skills
        chat = cfg.get("skills")
        if isinstance(chat, list):
            narrowed = tuple(s for s in allowed if s in chat)
            if narrowed:
                return narrowed
        return allowed

    async def user(self, message: IncomingMessage) -> UserRecord:
        """The sender as SQL knows them (created on first sight), cached 30 s."""
        user = self.users.get((message.platform, message.user_id))
        if user is None:
            user = await self.sql(lambda: self.long_term.ensure_user(
                message.platform, message.user_id, message.user_name))
            self.users.set((message.platform, message.user_id), user)
        return user

    async def blocked(self, message: IncomingMessage) -> bool:
        """Whether an administrator blocked the sender (an unknown sender is not blocked)."""
        user = self.users.get((message.platform, message.user_id))
        if user is None:
            user = await self.sql(lambda: self.long_term.get_user(message.platform,
                                                                  message.user_id))
            if user is None:
                return False
            self.users.set((message.platform, message.user_id), user)
        return user.blocked

    async def recall(self, key: ConversationKey, message: IncomingMessage) -> RecallContext:
        """The sender's facts and the conversation's summary, cached 30 s."""
        recall_key = (str(key), message.platform, message.user_id)
        cached = self.recall_cache.get(recall_key)
        if cached is None:
            cached = await self.sql(lambda: self.long_term.recall_context(
                key, message.platform, message.user_id, fact_scope(message)))
            self.recall_cache.set(recall_key, cached)
        return cached

    def forget_caches(self) -> None:
        """Drop the short-lived copies of users and recall (after /link, /forget…)."""
        self.users.clear()
        self.recall_cache.clear()

    def cache_sizes(self) -> dict[str, int]:
        """Entries in these caches and in short-term memory's own (for metrics and tests)."""
        sizes = {"users": len(self.users), "recall": len(self.recall_cache),
                 "chat_settings": len(self.chat_cache)}
        short = getattr(self.short_term, "sizes", None)
        return {**sizes, **(short() if callable(short) else {})}

    async def forget_user(self, platform: str, user_id: str) -> dict[str, int]:
        """Erase a user everywhere: SQL rows and short-term keys (of every linked identity, and
        the cached turns of shared group conversations they spoke in). Returns counts."""
        self.forget_caches()
        identities, shared = await self.sql(
            lambda: self.long_term.erasure_targets(platform, user_id))
        rows = await self.sql(lambda: self.long_term.forget_user(platform, user_id))
        keys = await self.soft(erase_short_term(self.short_term, identities, shared), 0)
        self.fallback = LocalShortTermMemory()
        return {**rows, "short_term_keys": keys}

    # background memory updates ---------------------------------------------------------------

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` in the background (closing waits a little for it)."""
        task = asyncio.create_task(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def close(self, timeout_s: float) -> None:
        """Wait up to ``timeout_s`` for background updates; cancel the rest."""
        if self.background:
            _, late = await asyncio.wait(set(self.background), timeout=timeout_s)
            for task in late:
                task.cancel()
            if late:
                log.warning("cancelled %d memory updates still running at shutdown", len(late))
                await asyncio.wait(late, timeout=1.0)
