"""Companion: warm small talk that remembers the user."""

from __future__ import annotations

from botcore.dialogue.context import SkillReply, TurnContext
from botcore.dialogue.prompt import build_messages
from botcore.i18n import language_of
from botcore.skills.prompts import companion_prompt, no_free_text


async def respond(ctx: TurnContext) -> SkillReply:
    """Answer in the companion persona, aware of the user's emotion and remembered facts."""
    fixed = no_free_text(ctx.settings, language_of(ctx.message))
    if fixed is not None:  # the generator cannot write the user's language
        return SkillReply(fixed, skill="companion", meta={"no_free_text": True})
    name = ctx.state.get("user_name") or ctx.message.user_name
    system = companion_prompt(ctx.settings, ctx.understanding.emotion, name,
                              language_of(ctx.message))
    messages = build_messages(system, ctx.history, ctx.text, facts=ctx.facts,
                              summary=ctx.summary, user_name=name)
    text = await ctx.generate(messages, temperature=0.5, max_new_tokens=60)
    return SkillReply(text, skill="companion")
