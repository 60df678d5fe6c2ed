"""Stage: a user whose turn shows nothing for a while hears that the answer is coming."""

from __future__ import annotations

from botcore.dialogue.busy import busy_watch
from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn


async def watch_busy(turn: Turn, session: Session, call_next: Next) -> None:
    """Wrap the turn's stream in a :class:`~botcore.dialogue.busy.BusyWatch` for the rest of the
    turn (waiting for the conversation's earlier turns included)."""
    async with busy_watch(turn.stream, turn.lang, session.settings.busy_notice_s) as stream:
        turn.stream = stream
        await call_next(turn)
