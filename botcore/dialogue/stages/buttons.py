"""Stage: a button press (feedback, /forget confirmation, a quiz choice) is answered here."""

from __future__ import annotations

from botcore.dialogue.command_router import CommandRouter
from botcore.dialogue.session import Session
from botcore.dialogue.turn import BLOCKED, Next, Turn


class Buttons:
    """Answers button presses through the command router; a blocked user's buttons do nothing.

    Args:
        router: the command router (:meth:`~botcore.dialogue.command_router.CommandRouter.button`).
    """

    def __init__(self, router: CommandRouter) -> None:
        self.router = router

    async def __call__(self, turn: Turn, session: Session, call_next: Next) -> None:
        if turn.message.callback_data is None:
            await call_next(turn)
            return
        if await session.blocked(turn.message):
            turn.say(BLOCKED.render(turn.lang))
            return
        result = await self.router.button(turn.message, turn.key)
        turn.say(result.text, buttons=result.buttons, file=result.file,
                 private=turn.private(result.private))
