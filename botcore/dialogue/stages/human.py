"""Stage: a conversation in human mode goes to staff; a user asking for a human gets one."""

from __future__ import annotations

import logging

from botcore import metrics
from botcore.dialogue.answering import answering
from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn
from botcore.handoff import Handoff, wants_human
from botcore.handoff.service import ASKED_HUMAN, NOTED
from botcore.handoff.service import STATE as HANDOFF

log = logging.getLogger(__name__)


class HumanHandoff:
    """While an escalation is open the bot stays quiet (staff get the messages); once it is
    closed or expired the turn goes on, maybe after a note. "I want a human" opens one.

    Args:
        handoff: the human handoff.
    """

    def __init__(self, handoff: Handoff) -> None:
        self.handoff = handoff

    async def __call__(self, turn: Turn, session: Session, call_next: Next) -> None:
        message, key, text = turn.message, turn.key, turn.text
        if turn.state.get(HANDOFF):
            follow = await self.handoff.follow_up(message, key, text, turn.state)
            if follow.handled:
                log.info("turn platform=%s outcome=handoff_attached", message.platform)
                metrics.observe_turn(message.platform, "human", "attached")
                if follow.text is None:
                    return
                await _record(session, turn, follow.text)
                turn.say(follow.text)
                return
            turn.prefix = (follow.text + "\n\n") if follow.text else ""
            turn.state = await session.state(key)
        if wants_human(text):
            esc = await self.handoff.open(message, key, text, "user")
            answer = turn.prefix + (ASKED_HUMAN if esc is not None else NOTED).render(turn.lang)
            await _record(session, turn, answer)
            metrics.observe_turn(message.platform, "human", "escalated")
            turn.say(answer)
            return
        await call_next(turn)


async def _record(session: Session, turn: Turn, answer: str) -> None:
    answering()
    await session.sql(lambda: session.long_term.record_message(
        turn.key, "assistant", answer, skill="human", platform_message_id=f"reply:{turn.pmid}",
        author=turn.message.user_id))
