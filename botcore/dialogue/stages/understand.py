"""Stage: one call to the model reads the message (skill scores, safety, emotion, embedding)."""

from __future__ import annotations

import logging

from botcore import metrics
from botcore.dialogue.session import Session
from botcore.dialogue.turn import MODEL_DOWN, Next, Turn
from botcore.errors import InferenceError
from botcore.inference.base import ModelExecutor

log = logging.getLogger(__name__)


class Understand:
    """Sets :attr:`Turn.understanding`; when the model cannot be reached the user is told.

    Args:
        executor: where the model runs.
    """

    def __init__(self, executor: ModelExecutor) -> None:
        self.executor = executor

    async def __call__(self, turn: Turn, session: Session, call_next: Next) -> None:
        try:
            turn.understanding = (await self.executor.understand([turn.text],
                                                                 with_embedding=True))[0]
        except InferenceError as exc:
            log.error("understand failed: %s", exc)
            metrics.observe_error(turn.message.platform, "inference")
            turn.say(MODEL_DOWN.render(turn.lang))
            return
        await call_next(turn)
