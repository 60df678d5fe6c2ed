"""The flood limiter: per-chat spacing, group budget, overall rate, per-chat ``RetryAfter``."""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from telegram.error import RetryAfter

from adapters.telegram.ratelimit import ChatRateLimiter


class Clocked:
    """A Bot API callback that records when each call was made."""

    def __init__(self, fail_first: int = 0, retry_after: int = 1) -> None:
        self.times: list[tuple[str, float]] = []
        self.fail_first = fail_first
        self.retry_after = retry_after

    async def __call__(self, endpoint: str, data: dict[str, Any]) -> bool:
        self.times.append((str(data.get("chat_id")), time.monotonic()))
        if self.fail_first > 0:
            self.fail_first -= 1
            raise RetryAfter(self.retry_after)
        return True


async def _send(
    limiter: ChatRateLimiter, cb: Clocked, chat: int | None, endpoint: str = "sendMessage"
) -> Any:
    data: dict[str, Any] = {"text": "x"} if chat is None else {"chat_id": chat, "text": "x"}
    return await limiter.process_request(cb, (endpoint, data), {}, endpoint, data, None)


def _gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


async def test_one_chat_is_spaced_by_the_interval() -> None:
    limiter = ChatRateLimiter(per_chat_interval=0.1)
    cb = Clocked()
    await asyncio.gather(*[_send(limiter, cb, 1) for _ in range(5)])
    gaps = _gaps([t for _, t in cb.times])
    assert len(gaps) == 4 and all(g >= 0.099 for g in gaps), gaps


async def test_different_chats_are_not_spaced() -> None:
    limiter = ChatRateLimiter(per_chat_interval=0.5)
    cb = Clocked()
    t0 = time.monotonic()
    await asyncio.gather(*[_send(limiter, cb, chat) for chat in range(1, 11)])
    assert time.monotonic() - t0 < 0.3


async def test_group_budget_per_window() -> None:
    limiter = ChatRateLimiter(per_chat_interval=0.0, group_max=3, group_window=0.4)
    cb = Clocked()
    await asyncio.gather(*[_send(limiter, cb, -100) for _ in range(7)])
    times = [t for _, t in cb.times]
    for i in range(len(times) - 3):  # any 4 consecutive sends span at least one window
        assert times[i + 3] - times[i] >= 0.399
    # edits don't use the group's message budget
    cb2 = Clocked()
    t0 = time.monotonic()
    await asyncio.gather(*[_send(limiter, cb2, -200, "editMessageText") for _ in range(6)])
    assert time.monotonic() - t0 < 0.2


async def test_overall_rate() -> None:
    limiter = ChatRateLimiter(per_chat_interval=0.0, overall_max=5, overall_window=0.25)
    cb = Clocked()
    await asyncio.gather(*[_send(limiter, cb, chat) for chat in range(1, 16)])
    times = sorted(t for _, t in cb.times)
    for i in range(len(times) - 5):
        assert times[i + 5] - times[i] >= 0.23  # slots are taken just before each call


async def test_retry_after_pauses_only_its_chat_and_retries() -> None:
    limiter = ChatRateLimiter(per_chat_interval=0.0)
    flooded = Clocked(fail_first=1, retry_after=1)
    free = Clocked()
    t0 = time.monotonic()
    task = asyncio.create_task(_send(limiter, flooded, 1))
    await asyncio.sleep(0.05)
    assert await _send(limiter, free, 2) is True
    assert time.monotonic() - t0 < 0.5  # chat 2 went through during chat 1's wait
    assert await task is True
    first, retry = (t for _, t in flooded.times)
    assert retry - first >= 1.0


async def test_retry_after_gives_up_after_max_retries() -> None:
    limiter = ChatRateLimiter(per_chat_interval=0.0, max_retries=0)
    cb = Clocked(fail_first=5, retry_after=1)
    try:
        await _send(limiter, cb, 1)
    except RetryAfter:
        pass
    else:
        raise AssertionError("RetryAfter swallowed")
    assert len(cb.times) == 1


async def test_chatless_calls_use_only_the_overall_limit() -> None:
    limiter = ChatRateLimiter(per_chat_interval=1.0)
    cb = Clocked()
    t0 = time.monotonic()
    await asyncio.gather(*[_send(limiter, cb, None, "getMe") for _ in range(5)])
    await asyncio.gather(*[_send(limiter, cb, 5, "sendChatAction") for _ in range(5)])
    assert time.monotonic() - t0 < 0.3
