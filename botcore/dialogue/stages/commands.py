"""Stage: ``/commands`` are answered by the command router, without the model."""

from __future__ import annotations

import logging

from botcore import metrics
from botcore.dialogue import commands as cmd
from botcore.dialogue.command_router import CommandRouter
from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn

log = logging.getLogger(__name__)


class Commands:
    """Answers a command message; a private answer asked in a group reaches the user alone.

    Args:
        router: the command router (:meth:`~botcore.dialogue.command_router.CommandRouter.command`).
    """

    def __init__(self, router: CommandRouter) -> None:
        self.router = router

    async def __call__(self, turn: Turn, session: Session, call_next: Next) -> None:
        message = turn.message
        if not message.is_command:
            await call_next(turn)
            return
        result = await self.router.command(message, turn.key, turn.text)
        log.info("turn platform=%s command=%s outcome=answered", message.platform,
                 cmd.parse_command(turn.text)[0])
        metrics.observe_turn(message.platform, None, "command")
        turn.say(result.text, buttons=result.buttons, file=result.file,
                 private=turn.private(result.private))
