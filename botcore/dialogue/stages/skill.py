"""Stage: the chosen skill answers (generating, streamed), and its answer is screened."""

from __future__ import annotations

import logging

from botcore.dialogue.context import SkillReply, SkillServices, TurnContext
from botcore.dialogue.generation import generator
from botcore.dialogue.session import Session
from botcore.dialogue.turn import MODEL_DOWN, Next, Turn
from botcore.errors import InferenceError, InferenceTimeout
from botcore.faq.index import FaqIndex
from botcore.handoff import Handoff
from botcore.i18n import Text
from botcore.inference.base import ModelExecutor
from botcore.memory.answers import keep_names_verbatim, stored_names
from botcore.memory.recall import rank_facts
from botcore.safety import Verdict, screen_output
from botcore.skills import SKILL_HANDLERS

log = logging.getLogger(__name__)

TOO_SLOW = Text("Sorry, that took me too long. Please try again (or ask something shorter).",
                "抱歉，我想得太久了。请再试一次（或者问得简短一些）。")
NO_WORDS = Text("Hmm, I'm not sure what to say to that. Could you put it another way?",
                "嗯，我不太知道该怎么回答。你能换个说法吗？")


class RunSkill:
    """Runs the turn's skill with what the turn has gathered; the model failing or running out of
    time gets an apology. A generated answer keeps stored names as they are and never shows the
    prompt's secrets; a skill may ask for a human (``meta["escalate"]``).

    Args:
        executor: where the model runs.
        faq: the knowledge base (skills may search it).
        handoff: the human handoff.
    """

    def __init__(self, executor: ModelExecutor, faq: FaqIndex, handoff: Handoff) -> None:
        self.executor = executor
        self.faq = faq
        self.handoff = handoff

    async def __call__(self, turn: Turn, session: Session, call_next: Next) -> None:
        message, skill, und, lang = turn.message, turn.skill, turn.understood, turn.lang
        fact_texts = [f for f, _ in turn.facts]
        ctx = TurnContext(
            message=message, key=turn.key, text=turn.text, understanding=und,
            history=turn.history, facts=rank_facts(und.embedding, turn.facts, k=5),
            state=turn.state, settings=turn.settings or session.settings,
            generate=generator(self.executor, session.settings, message, skill, turn.stream),
            services=SkillServices(faq_index=self.faq, faq_hit=turn.faq_hit,
                                   injection=turn.verdict is Verdict.INJECTION),
            summary=turn.summary,
        )
        try:
            reply = await SKILL_HANDLERS[skill](ctx)
        except InferenceTimeout:
            turn.answer = SkillReply(TOO_SLOW.render(lang), skill=skill, meta={"error": "timeout"})
            return
        except InferenceError as exc:
            log.error("generation failed: %s", exc)
            turn.answer = SkillReply(MODEL_DOWN.render(lang), skill=skill,
                                     meta={"error": "inference"})
            return
        if skill != "faq" and fact_texts:  # a generated reply keeps stored names as they are
            reply.text = keep_names_verbatim(reply.text, stored_names(fact_texts))
        reply.text = screen_output(reply.text, session.settings.secrets_in_prompt,
                                   lang).strip() or NO_WORDS.render(lang)
        reply.skill = reply.skill or skill
        turn.answer = reply
        if reply.meta.get("escalate"):
            reason = reply.meta["escalate"] if isinstance(reply.meta["escalate"], str) else skill
            await self.handoff.open(message, turn.key, turn.text, reason)
