"""A turn's point of no return (botcore.dialogue.answering): every stage that records an answer
says so before the write starts, so an adapter cutting off turns at shutdown can spare that turn
(its answer recorded, a redelivery of the message would be taken for a duplicate)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from botcore.dialogue.answering import answering, on_answering
from botcore.messages import IncomingMessage
from botcore.runtime import Runtime


def msg(text: str, user: str) -> IncomingMessage:
    return IncomingMessage(platform="test", message_id=uuid.uuid4().hex, chat_id=user,
                           user_id=user, text=text)


def _texts(parameters: Any) -> list[str]:
    values = parameters.values() if isinstance(parameters, dict) else parameters or ()
    return [v for v in values if isinstance(v, str)]


@contextmanager
def answer_writes(runtime: Runtime, events: list[str]) -> Iterator[None]:
    """Note each statement that writes an answer (``reply:<message id>``) to the real database."""
    engine = runtime.long_term.engine.sync_engine  # type: ignore[attr-defined]

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
             executemany: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT") and any(
                t.startswith("reply:") for t in _texts(parameters)):
            events.append("write")

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", seen)


async def turn(runtime: Runtime, text: str, user: str, events: list[str]) -> str:
    with on_answering(lambda: events.append("answering")):
        replies = await runtime.manager.handle(msg(text, user))
    return replies[-1].text


async def test_each_recorded_answer_is_announced_before_it_is_written(runtime: Runtime) -> None:
    user = uuid.uuid4().hex[:10]
    events: list[str] = []
    with answer_writes(runtime, events):
        assert await turn(runtime, "hello there", user, events) == "You said: hello there"
        assert events == ["answering", "write"]  # a generated answer (persist)
        events.clear()
        start = await turn(runtime, "/quiz math", user, events)
        assert events == []  # a command records no answer: nothing to spare
        question = start.split("Question 1/5 (math): What is ")[1].split("?")[0]
        import sympy

        graded = await turn(runtime, str(sympy.sympify(question)), user, events)
        assert graded.startswith("✅ Correct!") and events == ["answering", "write"]  # the quiz
        events.clear()
        await turn(runtime, "stop", user, events)
        events.clear()
        await turn(runtime, "I want to talk to a human", user, events)
        assert events == ["answering", "write"]  # the human handoff


def test_on_answering_calls_back_only_inside_its_body() -> None:
    calls: list[str] = []
    answering()  # no adapter asked: nothing happens
    with on_answering(lambda: calls.append("outer")):
        answering()
        with on_answering(lambda: calls.append("inner")):
            answering()
        answering()
    answering()
    assert calls == ["outer", "inner", "outer"]
