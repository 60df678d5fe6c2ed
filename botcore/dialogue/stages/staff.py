"""Stage: staff answer an escalation by replying to its notice in their chat."""

from __future__ import annotations

from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn
from botcore.handoff import Handoff, staff_mark


class StaffReply:
    """A staff member's reply to a handoff notice goes to the user it is about.

    Args:
        handoff: the human handoff.
    """

    def __init__(self, handoff: Handoff) -> None:
        self.handoff = handoff

    async def __call__(self, turn: Turn, session: Session, call_next: Next) -> None:
        message = turn.message
        mark = staff_mark(message.reply_to_text)
        if mark is not None and not message.is_command and self.handoff.is_staff(message):
            turn.say(await self.handoff.staff_reply(message, mark, turn.text))
            return
        await call_next(turn)
