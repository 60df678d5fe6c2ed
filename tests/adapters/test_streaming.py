"""The shared throttled stream: one send, then edits at most once per interval, stopping cleanly."""

from __future__ import annotations

import asyncio

from adapters.streaming import ThrottledStream


class RecordingStream(ThrottledStream[str]):
    """Previews are the text itself; calls are recorded with a little latency."""

    def __init__(self, interval_s: float, *, gone_after: int | None = None,
                 fail_once: bool = False) -> None:
        super().__init__(interval_s, name="test-stream")
        self.calls: list[tuple[str, str]] = []
        self.gone_after = gone_after
        self.fail_once = fail_once

    def preview(self, text: str) -> str | None:
        return text or None

    async def _call(self, kind: str, text: str) -> bool:
        await asyncio.sleep(0.01)
        if self.fail_once:
            self.fail_once = False
            raise OSError("network down")
        if self.gone_after is not None and len(self.calls) >= self.gone_after:
            return False
        self.calls.append((kind, text))
        return True

    async def send(self, preview: str) -> bool:
        return await self._call("send", preview)

    async def edit(self, preview: str) -> bool:
        return await self._call("edit", preview)

    async def say(self, text: str) -> bool:
        return await self._call("say", text)


async def test_a_burst_of_tokens_costs_one_send_and_few_edits() -> None:
    stream = RecordingStream(0.1)
    text = ""
    for i in range(60):
        text += f"w{i} "
        await stream.update(text)
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.25)
    await stream.close()
    kinds = [k for k, _ in stream.calls]
    assert kinds[0] == "send" and set(kinds[1:]) <= {"edit"}
    assert 1 <= stream.edits <= 6 < 60
    assert stream.calls[-1][1] == text == stream.shown  # caught up with the newest text


async def test_close_waits_for_a_call_in_flight_and_nothing_comes_after() -> None:
    stream = RecordingStream(0.0)
    await stream.update("first")
    await asyncio.sleep(0)  # the send is in flight
    await stream.close()
    assert stream.calls == [("send", "first")]
    await stream.update("late")
    await stream.notice("late notice")
    await asyncio.sleep(0.05)
    assert stream.calls == [("send", "first")]


async def test_a_gone_chat_stops_the_stream() -> None:
    stream = RecordingStream(0.0, gone_after=1)
    await stream.update("a")
    await asyncio.sleep(0.05)
    await stream.update("ab")
    await asyncio.sleep(0.05)
    await stream.update("abc")
    await asyncio.sleep(0.05)
    await stream.close()
    assert stream.calls == [("send", "a")] and stream.shown == "a"


async def test_an_error_is_logged_and_the_next_update_tries_again() -> None:
    stream = RecordingStream(0.0, fail_once=True)
    await stream.update("a")
    await asyncio.sleep(0.05)
    assert stream.calls == [] and stream.shown is None
    await stream.update("ab")
    await asyncio.sleep(0.05)
    await stream.close()
    assert stream.calls == [("send", "ab")]


async def test_a_notice_is_a_message_of_its_own() -> None:
    stream = RecordingStream(1.0)
    await stream.notice("busy")
    await stream.update("reply")
    await asyncio.sleep(0.05)
    await stream.close()
    assert stream.calls == [("say", "busy"), ("send", "reply")]
    assert stream.notices == 1 and stream.edits == 0
