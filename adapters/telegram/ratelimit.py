"""Telegram's flood limits, enforced before each Bot API call.

Why our own limiter rather than PTB's ``AIORateLimiter``: that one needs the extra ``aiolimiter``
package, has no per-chat limit for private chats, and on a ``RetryAfter`` halts *every* request
of the bot. This one keeps, per chat, one message per second (private chats and groups alike),
20 messages a minute in groups, and 30 requests a second overall; a ``RetryAfter`` pauses only
the chat it came from (only chat-less calls pause the whole bot), then the call is retried.

Calls to one chat are serialized (a FIFO lock held for the HTTP call), and the per-chat interval
is counted from the *end* of the previous call, so two messages of one chat reach Telegram at
least ``per_chat_interval`` apart whatever the network jitter. The overall limit counts messages
(sends and edits); chat actions, callback answers and setup calls are not messages and only
honour flood waits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

Result = bool | dict[str, Any] | list[dict[str, Any]]

_LIGHT = frozenset(
    {
        "sendChatAction",
        "answerCallbackQuery",
        "setMyCommands",
        "getMe",
        "deleteWebhook",
        "setWebhook",
        "getWebhookInfo",
        "close",
        "logOut",
    }
)


def _is_counted_send(endpoint: str) -> bool:
    """Calls that post a new message (and count toward a group's per-minute budget)."""
    return endpoint.startswith(("send", "copyMessage", "forwardMessage")) and (endpoint != "sendChatAction")


@dataclass(slots=True)
class _ChatState:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_at: float = 0.0
    blocked_until: float = 0.0
    recent_sends: deque[float] = field(default_factory=deque)
    last_used: float = 0.0


class ChatRateLimiter(BaseRateLimiter[int]):
    """Per-chat, per-group and overall throttling with per-chat ``RetryAfter`` handling.

    Args:
        per_chat_interval: seconds between two calls to one chat (sends and edits).
        group_max: messages per ``group_window`` in one group (negative chat ids).
        group_window: the group window in seconds.
        overall_max: requests per ``overall_window`` for the whole bot.
        overall_window: the overall window in seconds.
        max_retries: how many times a call is retried after ``RetryAfter``; ``rate_limit_args``
            of a call overrides it.
        clock: a monotonic clock (seconds).
    """

    def __init__(
        self,
        *,
        per_chat_interval: float = 1.0,
        group_max: int = 20,
        group_window: float = 60.0,
        overall_max: int = 30,
        overall_window: float = 1.0,
        max_retries: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_chat_interval = per_chat_interval
        self.group_max = group_max
        self.group_window = group_window
        self.overall_max = overall_max
        self.overall_window = overall_window
        self.max_retries = max_retries
        self._clock = clock
        self._chats: dict[str, _ChatState] = {}
        self._overall: deque[float] = deque()
        self._overall_lock = asyncio.Lock()
        self._paused_until = 0.0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Forget all state."""
        self._chats.clear()
        self._overall.clear()

    def _chat(self, chat_id: str) -> _ChatState:
        state = self._chats.get(chat_id)
        if state is None:
            if len(self._chats) > 4096:
                self._prune()
            state = self._chats[chat_id] = _ChatState()
        state.last_used = self._clock()
        return state

    def _prune(self) -> None:
        cutoff = self._clock() - max(self.group_window, self.per_chat_interval) - 1
        for key, st in list(self._chats.items()):
            if st.last_used < cutoff and not st.lock.locked() and st.blocked_until < cutoff:
                del self._chats[key]

    async def _sleep_until(self, at: float) -> None:
        delay = at - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _overall_slot(self) -> None:
        async with self._overall_lock:
            await self._sleep_until(self._paused_until)
            window = self._overall
            while True:
                now = self._clock()
                while window and window[0] <= now - self.overall_window:
                    window.popleft()
                if len(window) < self.overall_max:
                    window.append(now)
                    return
                await self._sleep_until(window[0] + self.overall_window)

    async def _chat_slot(self, state: _ChatState, group: bool, counted: bool) -> None:
        while True:
            at = max(state.next_at, state.blocked_until)
            if group and counted:
                sends = state.recent_sends
                while sends and sends[0] <= self._clock() - self.group_window:
                    sends.popleft()
                if len(sends) >= self.group_max:
                    at = max(at, sends[0] + self.group_window)
            if at <= self._clock():
                return
            await self._sleep_until(at)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        """Wait for the call's turn, make it, and retry it after ``RetryAfter``."""
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        chat_id = data.get("chat_id")
        if chat_id is None:
            return await self._light(callback, args, kwargs, retries, None)
        key = str(chat_id)
        if endpoint in _LIGHT:
            return await self._light(callback, args, kwargs, retries, self._chat(key))
        group = _is_group(key)
        counted = _is_counted_send(endpoint)
        state = self._chat(key)
        async with state.lock:
            for attempt in range(retries + 1):
                await self._chat_slot(state, group, counted)
                await self._overall_slot()
                try:
                    return await callback(*args, **kwargs)
                except RetryAfter as exc:
                    delay = retry_seconds(exc)
                    state.blocked_until = self._clock() + delay + 0.05
                    log.warning(
                        "Telegram flood limit in chat %s on %s: waiting %.1fs (try %d of %d)",
                        key,
                        endpoint,
                        delay,
                        attempt + 1,
                        retries + 1,
                    )
                    if attempt == retries:
                        raise
                finally:
                    now = self._clock()
                    state.next_at = now + self.per_chat_interval
                    state.last_used = now
                    if group and counted:
                        state.recent_sends.append(now)
        raise AssertionError("unreachable")  # pragma: no cover

    def delay(self, chat_id: int | str) -> float:
        """Seconds until a new message to ``chat_id`` may go (0 when it may go now).

        Counts the per-chat interval, a group's per-minute budget and flood waits, not the
        overall limit (which frees up within a second). The outbox uses it to put back a message
        whose chat is busy for long instead of holding up the messages behind it.
        """
        key = str(chat_id)
        now = self._clock()
        at = self._paused_until
        state = self._chats.get(key)
        if state is not None:
            at = max(at, state.next_at, state.blocked_until)
            if _is_group(key):
                sends = [t for t in state.recent_sends if t > now - self.group_window]
                if len(sends) >= self.group_max:
                    at = max(at, sends[len(sends) - self.group_max] + self.group_window)
        return max(0.0, at - now)

    async def _light(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        retries: int,
        state: _ChatState | None,
    ) -> Result:
        for attempt in range(retries + 1):
            if state is not None:
                await self._sleep_until(state.blocked_until)
            await self._sleep_until(self._paused_until)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                delay = retry_seconds(exc)
                until = self._clock() + delay + 0.05
                if state is not None:
                    state.blocked_until = max(state.blocked_until, until)
                else:
                    self._paused_until = max(self._paused_until, until)
                log.warning("Telegram flood limit: waiting %.1fs (try %d)", delay, attempt + 1)
                if attempt == retries:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover


def _is_group(key: str) -> bool:
    """Group and channel ids are negative (``@username`` targets count as groups too)."""
    return key.startswith("-") or not key.lstrip("-").isdigit()


def retry_seconds(exc: RetryAfter) -> float:
    """The wait a ``RetryAfter`` asks for, in seconds."""
    wait = exc.retry_after
    return float(wait) if isinstance(wait, int | float) else wait.total_seconds()
