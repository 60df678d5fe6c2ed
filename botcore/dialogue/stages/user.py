"""Stage: the sender becomes a known user; a user an administrator blocked is told so."""

from __future__ import annotations

from botcore.dialogue.session import Session
from botcore.dialogue.turn import BLOCKED, Next, Turn


async def known_user(turn: Turn, session: Session, call_next: Next) -> None:
    """Create the sender's user row on first sight; end a blocked user's turn with a notice."""
    user = await session.user(turn.message)
    if user.blocked:
        turn.say(BLOCKED.render(turn.lang))
        return
    await call_next(turn)
