"""Stage: a message in crisis, abusive, sexual or injecting instructions gets a fixed answer."""

from __future__ import annotations

from botcore.dialogue.context import SkillReply
from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn, opaque
from botcore.handoff import Handoff
from botcore.safety import (
    ABUSE_PAUSE,
    ABUSE_REPLY,
    ABUSE_STRIKES,
    ABUSE_WINDOW_S,
    INJECTION_REPLY,
    UNSAFE_SEXUAL_REPLY,
    Verdict,
    crisis_reply,
    screen_input,
)


class Safety:
    """Screens the message (rules and the safety head); anything but :attr:`Verdict.OK` is
    answered here, never by a skill. A crisis also asks for a human where one can be reached;
    repeated abuse pauses the user.

    Args:
        handoff: the human handoff.
    """

    def __init__(self, handoff: Handoff) -> None:
        self.handoff = handoff

    async def __call__(self, turn: Turn, session: Session, call_next: Next) -> None:
        message, lang, skill = turn.message, turn.lang, turn.state.get("skill")
        verdict = turn.verdict = screen_input(turn.text, turn.understood.safety).verdict
        if verdict is Verdict.CRISIS:
            s = session.settings
            name = turn.state.get("user_name") or message.user_name
            turn.answer = SkillReply(crisis_reply(s.crisis_resources, name, lang,
                                                  s.crisis_resources_zh),
                                     skill="companion", meta={"safety": "crisis"})
            await self.handoff.open(message, turn.key, turn.text, "safety")
        elif verdict is Verdict.UNSAFE_SEXUAL:
            turn.answer = SkillReply(UNSAFE_SEXUAL_REPLY.render(lang), skill=skill,
                                     meta={"safety": "sexual"})
        elif verdict is Verdict.ABUSE:
            strikes = await session.soft(session.short_term.hit(
                "abuse:" + opaque(message.user_ref), ABUSE_STRIKES, ABUSE_WINDOW_S), 0.0)
            text = (ABUSE_PAUSE.render(lang, m=max(1, round(strikes / 60))) if strikes
                    else ABUSE_REPLY.render(lang))
            turn.answer = SkillReply(text, skill=skill, meta={"safety": "abuse"})
        elif verdict is Verdict.INJECTION:
            turn.answer = SkillReply(INJECTION_REPLY.render(lang), skill=skill,
                                     meta={"safety": "prompt_injection"})
        else:
            await call_next(turn)
