"""FAQ agent: answers only from the knowledge base; otherwise says so and offers a human."""

from __future__ import annotations

from botcore.dialogue.context import SkillReply, TurnContext
from botcore.faq.index import FaqAnswer
from botcore.i18n import Text, language_of

NO_ANSWER = Text(
    "I don't know the answer to that one, and I'd rather not guess. I've passed your question to "
    "a human colleague, who will get back to you here.",
    "这个问题我不知道答案，也不想乱猜。我已经把你的问题转给了人工同事，他们会在这里回复你。",
)
SOURCE = Text("\n\nSource: {url}", "\n\n来源：{url}")


async def respond(ctx: TurnContext) -> SkillReply:
    """The stored answer (with its source link), or an honest "I don't know" + escalation."""
    lang = language_of(ctx.message)
    hit = ctx.services.faq_hit
    if hit is None or hit.id is None:
        index = ctx.services.faq_index
        hit = await index.search(ctx.text) if index is not None else FaqAnswer(None, None, 0.0)
    if hit.id is None or hit.answer is None:
        return SkillReply(NO_ANSWER.render(lang), skill="faq",
                          meta={"faq_id": None, "faq_score": hit.score, "escalate": "faq"})
    text = hit.answer + (SOURCE.render(lang, url=hit.url) if hit.url else "")
    return SkillReply(text, skill="faq", meta={"faq_id": hit.id, "faq_score": hit.score})
