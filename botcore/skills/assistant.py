"""Assistant: general questions and text generation (poems, stories, code)."""

from __future__ import annotations

from botcore.dialogue.context import SkillReply, TurnContext
from botcore.dialogue.prompt import build_messages
from botcore.i18n import language_of
from botcore.skills.prompts import assistant_prompt, no_free_text

FENCE = "```"


def balance_fences(text: str) -> str:
    """Close (or open) a code block the model left unbalanced, so platforms render it as code."""
    if text.count(FENCE) % 2 == 0:
        return text
    stripped = text.rstrip()
    if stripped.endswith(FENCE) and stripped.count(FENCE) == 1:
        return FENCE + "\n" + text  # the model forgot the opening fence
    return stripped + "\n" + FENCE


async def respond(ctx: TurnContext) -> SkillReply:
    """Answer as a general assistant."""
    fixed = no_free_text(ctx.settings, language_of(ctx.message))
    if fixed is not None:  # the generator cannot write the user's language
        return SkillReply(fixed, skill="assistant", meta={"no_free_text": True})
    messages = build_messages(assistant_prompt(ctx.settings, language_of(ctx.message)),
                              ctx.history, ctx.text,
                              facts=ctx.facts,
                              summary=ctx.summary)
    text = await ctx.generate(messages, temperature=0.5, max_new_tokens=160)
    return SkillReply(balance_fences(text), skill="assistant")
