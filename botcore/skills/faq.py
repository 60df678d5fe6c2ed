"""FAQ agent: answers only from the knowledge base; otherwise says so and offers a human."""

from __future__ import annotations

from botcore.dialogue.context import SkillReply, TurnContext
from botcore.faq.index import FaqAnswer

NO_ANSWER = (
    "I'm not sure about that one, and I'd rather not guess. I've passed your question to a human "
    "colleague, who will get back to you here."
)


async def respond(ctx: TurnContext) -> SkillReply:
    """The stored answer (with its source link), or an honest "I don't know" + escalation."""
    hit: FaqAnswer | None = ctx.services.get("faq_hit")
    if hit is None or hit.id is None:
        index = ctx.services.get("faq_index")
        hit = await index.search(ctx.text) if index is not None else FaqAnswer(None, None, 0.0)
    if hit.id is None or hit.answer is None:
        return SkillReply(NO_ANSWER, skill="faq", meta={"faq_id": None, "faq_score": hit.score,
                                                        "escalate": True})
    text = hit.answer + (f"\n\nSource: {hit.url}" if hit.url else "")
    return SkillReply(text, skill="faq", meta={"faq_id": hit.id, "faq_score": hit.score})
