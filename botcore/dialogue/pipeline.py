"""The turn as a pipeline of stages, composed like aiogram's middlewares (ARCHITECTURE §2, §3).

A stage is ``async (turn, session, call_next) -> None``. The pipeline calls the first stage with
the rest of the pipeline as ``call_next``; each stage does its part and calls it, or ends the
turn (having set ``turn.replies``) by not calling it; code after ``await call_next(turn)`` runs on
the way back (a lock released, an answer persisted). So a message enters each stage at most once,
in the order listed, and never comes back to the manager until its replies are ready.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from typing import Protocol

from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn
from botcore.messages import OutgoingMessage


class Stage(Protocol):
    """One step of a turn (a function or a callable object)."""

    def __call__(self, turn: Turn, session: Session, call_next: Next) -> Awaitable[None]:
        """Do this stage's part of ``turn``; ``await call_next(turn)`` to go on."""
        ...


class Pipeline:
    """Runs turns through ``stages`` in order over one ``session``.

    Args:
        session: the dialogue's stores, given to every stage.
        stages: the stages, first to last.
    """

    def __init__(self, session: Session, stages: Iterable[Stage]) -> None:
        self.session = session
        self.stages: tuple[Stage, ...] = tuple(stages)

    async def run(self, turn: Turn) -> list[OutgoingMessage]:
        """Run ``turn`` through the stages; returns its replies."""
        await self._from(0, turn)
        return turn.replies

    async def _from(self, index: int, turn: Turn) -> None:
        if index == len(self.stages):
            return

        async def call_next(turn: Turn) -> None:
            await self._from(index + 1, turn)

        await self.stages[index](turn, self.session, call_next)
