"""Assistant: general questions and text generation (poems, stories, code)."""

from __future__ import annotations

from botcore.dialogue.context import SkillReply, TurnContext
from botcore.dialogue.prompt import build_messages
from botcore.i18n import language_of
from botcore.skills.prompts import assistant_prompt, english_only_note

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
    messages = build_messages(assistant_prompt(ctx.settings, language_of(ctx.message)),
                              ctx.history, ctx.text,
                              facts=ctx.facts,
                              summary=ctx.summary)
    text = await ctx.generate(messages, temperature=0.5, max_new_tokens=160)
    note, state = english_only_note(ctx.settings, language_of(ctx.message), ctx.state)
    return SkillReply(balance_fences(text) + note, skill="assistant", state=state)
