"""Stage: when memory fails, the user is told to resend (and a redelivery is answered)."""

from __future__ import annotations

import logging

from botcore import metrics
from botcore.dialogue.session import Session
from botcore.dialogue.turn import STORAGE_DOWN, Next, Turn
from botcore.errors import StorageError, StorageUnavailable

log = logging.getLogger(__name__)


async def storage_guard(turn: Turn, session: Session, call_next: Next) -> None:
    """Turn storage errors of the rest of the turn into a notice. SQL still unavailable after
    its retries leaves the turn unfinished (the claim is released, a redelivery is answered);
    any other storage error finishes it."""
    lang = turn.lang  # the message's own language: the conversation's may be unreadable
    try:
        await call_next(turn)
    except StorageUnavailable:
        log.error("turn platform=%s outcome=storage_unavailable", turn.message.platform)
        metrics.observe_error(turn.message.platform, "storage_unavailable")
        turn.say(STORAGE_DOWN.render(lang))
        turn.final = False
    except StorageError as exc:
        log.error("turn platform=%s outcome=storage_error: %s", turn.message.platform, exc)
        metrics.observe_error(turn.message.platform, "storage_error")
        turn.say(STORAGE_DOWN.render(lang))
