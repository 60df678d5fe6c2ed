"""The four skills. Each is an async function ``(TurnContext) -> SkillReply``."""

from __future__ import annotations

from botcore.dialogue.context import SkillHandler
from botcore.skills.assistant import respond as assistant
from botcore.skills.companion import respond as companion
from botcore.skills.faq import respond as faq
from botcore.skills.tutor import respond as tutor

SKILL_HANDLERS: dict[str, SkillHandler] = {
    "companion": companion,
    "tutor": tutor,
    "faq": faq,
    "assistant": assistant,
}

__all__ = ["SKILL_HANDLERS"]
