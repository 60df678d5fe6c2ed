"""A turn's point of no return: the moment its answer is recorded.

A stage that answers records the answer in SQL (``reply:<message id>``) before the manager returns
the replies, and from then on a redelivery of the message is a duplicate (the record stage ends
it). A turn cancelled after that moment (an adapter cutting off turns at shutdown) would leave its
user with an answer that is recorded but was never sent, and is not sent after a restart either.

So an adapter that cancels turns runs the turn inside :func:`on_answering`, every stage calls
:func:`answering` right before it records an answer, and the adapter, called back then, lets that
turn finish and send its replies instead of cancelling it. The call back is synchronous and comes
before the write starts, so no cancellation can fall between the two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["answering", "on_answering"]

_callback: ContextVar[Callable[[], None] | None] = ContextVar("botcore_on_answering", default=None)


@contextmanager
def on_answering(callback: Callable[[], None]) -> Iterator[None]:
    """Call ``callback`` when the turn run in the body starts recording its answer.

    Example:
        >>> with on_answering(lambda: spared.add(asyncio.current_task())):  # doctest: +SKIP
        ...     replies = await handler.handle(message, stream)
    """
    token = _callback.set(callback)
    try:
        yield
    finally:
        _callback.reset(token)


def answering() -> None:
    """The current turn is about to record its answer: from here on it must run to the end."""
    callback = _callback.get()
    if callback is not None:
        callback()
