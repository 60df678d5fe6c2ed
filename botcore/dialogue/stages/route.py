"""Stage: choose the skill that answers (ARCHITECTURE §2: route → skill)."""

from __future__ import annotations

import logging

from botcore.dialogue.routing import choose_skill
from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn
from botcore.errors import InferenceError
from botcore.faq.index import FaqIndex
from botcore.tutoring.solver import solve as solve_problem
from botcore.tutoring.solver_reply import asks_for_number

log = logging.getLogger(__name__)

TUTOR_FALLBACK = 0.15
"""A question asking for a number goes to the tutor (whose numbers are checked) when the routing
head gives the tutor at least this much, even if another skill scored higher."""


class Route:
    """Sets the skills this chat allows, its persona, the knowledge-base hit and the skill.

    The order of precedence: a chat allowing one skill; the user's ``/mode`` (or the chat's
    default skill); a confident knowledge-base answer; the routing head, sticky to the current
    skill. A sum or an equation goes to the tutor, whose numbers are checked.

    Args:
        faq: the knowledge base.
    """

    def __init__(self, faq: FaqIndex) -> None:
        self.faq = faq

    async def __call__(self, turn: Turn, session: Session, call_next: Next) -> None:
        cfg, state, text, und = turn.chat, turn.state, turn.text, turn.understood
        settings = session.settings
        allowed = session.allowed_skills(cfg)
        default = cfg.get("default_skill") or (
            settings.default_skill if settings.default_skill != "auto" else None)
        mode = state.get("mode")
        pinned = mode if mode in allowed else (default if default in allowed else None)
        if len(allowed) == 1:
            pinned = allowed[0]
        if cfg.get("persona"):
            settings = settings.model_copy(update={"persona": str(cfg["persona"])[:300]})
        if pinned in (None, "faq") and "faq" in allowed:
            try:
                turn.faq_hit = await self.faq.search(text, embedding=und.embedding)
            except InferenceError as exc:
                log.warning("faq search failed: %s", exc)
        hit = turn.faq_hit
        current = state.get("skill")
        skill = choose_skill({k: v for k, v in und.scores.items() if k in allowed}, pinned=pinned,
                             current=current if current in allowed else None,
                             faq_hit=bool(hit and hit.id))
        if skill not in allowed:
            skill = "faq" if "faq" in allowed else allowed[0]
        if skill in ("companion", "assistant") and not pinned and "tutor" in allowed:
            exact = solve_problem(text)  # a sum or an equation gets exact steps, not a guess
            if (exact is not None and exact.kind != "word") or (
                    und.scores.get("tutor", 0.0) >= TUTOR_FALLBACK and asks_for_number(text)):
                skill = "tutor"  # where the model's numbers are checked
        turn.allowed, turn.settings, turn.skill = allowed, settings, skill
        await call_next(turn)
