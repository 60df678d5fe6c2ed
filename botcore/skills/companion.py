"""Companion: warm small talk that remembers the user."""

from __future__ import annotations

from botcore.dialogue.context import SkillReply, TurnContext
from botcore.dialogue.prompt import build_messages
from botcore.i18n import Text, language_of
from botcore.memory.facts import extract_facts
from botcore.skills.prompts import companion_prompt, no_free_text

LEARNED = Text("Got it, I'll remember: {facts}", "好的，我记住了：{facts}")
"""Said before the fixed reply when the generator cannot write the user's language but the
message told the bot something about the user (stored by the remember stage)."""


def _learned(ctx: TurnContext, lang: str) -> str | None:
    """What this message teaches, said back in the second person (None: nothing, or not stored)."""
    if ctx.message.chat_type == "channel" or ctx.services.injection:
        return None  # the remember stage stores nothing from these either
    facts = [f.text for f in extract_facts(ctx.text)]
    if not facts:
        return None
    said = "".join(facts) if lang == "zh" else " ".join(facts)
    return LEARNED.render(lang, facts=said.replace("用户", "你"))  # stored in the third person


async def respond(ctx: TurnContext) -> SkillReply:
    """Answer in the companion persona, aware of the user's emotion and remembered facts."""
    lang = language_of(ctx.message)
    fixed = no_free_text(ctx.settings, lang)
    if fixed is not None:  # the generator cannot write the user's language
        learned = _learned(ctx, lang)
        text = f"{learned}\n\n{fixed}" if learned else fixed
        return SkillReply(text, skill="companion", meta={"no_free_text": True})
    name = ctx.state.get("user_name") or ctx.message.user_name
    system = companion_prompt(ctx.settings, ctx.understanding.emotion, name,
                              language_of(ctx.message))
    messages = build_messages(system, ctx.history, ctx.text, facts=ctx.facts,
                              summary=ctx.summary, user_name=name)
    text = await ctx.generate(messages, temperature=0.5, max_new_tokens=60)
    return SkillReply(text, skill="companion")
