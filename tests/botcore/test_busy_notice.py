"""The busy notice: a turn that has shown nothing after ``BOTCORE_BUSY_NOTICE_S`` gets one short
notice, in the user's language, through the adapter's stream; a turn that responds in time
gets none. Real runtime (SQLite, in-process memory), the instant model slowed down."""

from __future__ import annotations

import asyncio
from pathlib import Path

from botcore.dialogue.busy import BUSY
from botcore.dialogue.manager import DialogueManager
from botcore.inference.base import StatusCallback, TextDeltaCallback
from botcore.inference.payloads import GenerateRequest, GenerateResult, GenerationStatus
from botcore.messages import IncomingMessage
from botcore.runtime import open_runtime
from tests.conftest import make_settings
from workers.instant import InstantExecutor

MULTILINGUAL = "configured/multilingual-model"
"""A generator given by configuration is trusted with Chinese (the instant model stands in)."""


class Recorder:
    """A ReplyStream that records what the user would see, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.started = asyncio.Event()

    async def update(self, text: str) -> None:
        self.events.append(("update", text))
        self.started.set()

    async def notice(self, text: str) -> None:
        self.events.append(("notice", text))


class UpdateOnly:
    """A stream written before ``notice`` existed."""

    def __init__(self) -> None:
        self.updates: list[str] = []

    async def update(self, text: str) -> None:
        self.updates.append(text)


def msg(i: int, text: str, *, language: str | None = None) -> IncomingMessage:
    return IncomingMessage(platform="console", message_id=f"m{i}", chat_id=f"u{i}",
                           user_id=f"u{i}", text=text, language=language)


async def warm_up(manager: DialogueManager) -> None:
    """A first turn (the SQL schema, caches): cold-start costs are not what is measured."""
    await manager.handle(msg(99, "warm up"), None)


async def test_waiting_turns_get_one_notice_in_their_language(tmp_path: Path) -> None:
    """One slot, 0.5 s a word: the first user's long reply has started; three more queue behind
    it and each gets exactly one notice (before their reply starts), in English or Chinese."""
    settings = make_settings(tmp_path, busy_notice_s=2.0, generator_model=MULTILINGUAL)
    executor = InstantExecutor(token_delay_s=0.5, capacity=1)
    async with open_runtime(settings, executor=executor) as rt:
        await warm_up(rt.manager)
        streams = [Recorder() for _ in range(4)]
        texts = ["hello there, tell me a long story about the sea and its ships please",
                 "你好，我今天很开心", "how are you", "今天天气怎么样"]
        first = asyncio.create_task(rt.manager.handle(msg(0, texts[0]), streams[0]))
        await asyncio.wait_for(streams[0].started.wait(), 60)  # it holds the only slot
        rest = asyncio.gather(*(rt.manager.handle(msg(i, texts[i]), streams[i])
                                for i in range(1, 4)))
        replies = [await first, *await rest]
    for reply, text in zip(replies, texts, strict=True):
        assert reply[0].text.startswith(f"You said: {text}")
    notices = [[text for kind, text in s.events if kind == "notice"] for s in streams]
    assert notices[0] == []  # its reply started in time: nothing to apologise for
    assert notices[1:] == [[BUSY.zh], [BUSY.en], [BUSY.zh]]
    for s in streams[1:]:
        assert s.events[0][0] == "notice", "the notice comes before the reply starts"
        assert [k for k, _ in s.events].count("notice") == 1


async def test_no_notice_when_the_reply_starts_in_time(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, busy_notice_s=5.0)
    async with open_runtime(settings, executor=InstantExecutor(token_delay_s=0.01)) as rt:
        stream = Recorder()
        [reply] = await rt.manager.handle(msg(1, "hello there"), stream)
        await asyncio.sleep(0.1)
    assert reply.text == "You said: hello there"
    assert stream.events and all(kind == "update" for kind, _ in stream.events)


async def test_zero_turns_the_notice_off_and_old_streams_still_work(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, busy_notice_s=0)
    async with open_runtime(settings, executor=InstantExecutor(0.05, capacity=1)) as rt:
        a, b = Recorder(), Recorder()
        await asyncio.gather(rt.manager.handle(msg(1, "one two three"), a),
                             rt.manager.handle(msg(2, "four five six"), b))
    assert all(kind == "update" for s in (a, b) for kind, _ in s.events)
    settings = make_settings(tmp_path / "b", busy_notice_s=0.1)
    async with open_runtime(settings, executor=InstantExecutor(0.1, capacity=1)) as rt:
        old = UpdateOnly()
        [reply] = await rt.manager.handle(msg(3, "one two three"), old)
    assert reply.text == "You said: one two three" and old.updates


async def test_a_notice_due_after_the_reply_is_never_sent(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, busy_notice_s=0.5)
    async with open_runtime(settings) as rt:  # the instant model: the reply comes at once
        await warm_up(rt.manager)
        stream = Recorder()
        await rt.manager.handle(msg(1, "hi"), stream)
        await asyncio.sleep(1.0)
    assert ("notice", BUSY.en) not in stream.events


class QueueingExecutor(InstantExecutor):
    """Reports admission news like the local and Celery executors: queued, a long wait ahead."""

    async def generate(self, request: GenerateRequest, on_delta: TextDeltaCallback | None = None,
                       *, on_status: StatusCallback | None = None) -> GenerateResult:
        if on_status is not None:
            await on_status(GenerationStatus(request_id=request.request_id, state="queued",
                                             position=7, eta_s=40.0))
        await asyncio.sleep(0.5)
        return await super().generate(request, on_delta)


async def test_a_known_long_queue_wait_sends_the_notice_at_once(tmp_path: Path) -> None:
    """The executor says the request waits ~40 s: the notice goes out now, not after 30 s."""
    settings = make_settings(tmp_path, busy_notice_s=30.0)
    async with open_runtime(settings, executor=QueueingExecutor(token_delay_s=0.05)) as rt:
        stream = Recorder()
        [reply] = await asyncio.wait_for(rt.manager.handle(msg(1, "hello there"), stream), 20)
    assert reply.text == "You said: hello there"
    assert stream.events[0] == ("notice", BUSY.en)
    assert [k for k, _ in stream.events].count("notice") == 1
