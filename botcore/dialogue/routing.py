"""Choosing the skill for a message: pinned mode, stickiness, then the routing head."""

from __future__ import annotations

from collections.abc import Mapping

from botcore.config import SKILLS

STICKY_MARGIN = 0.25
"""A conversation leaves its current skill only when another beats it by this much."""


def choose_skill(
    scores: Mapping[str, float],
    *,
    pinned: str | None = None,
    current: str | None = None,
    faq_hit: bool = False,
    margin: float = STICKY_MARGIN,
) -> str:
    """Return the skill that answers.

    Args:
        scores: the routing head's probability per skill.
        pinned: a mode the user fixed with ``/mode`` (wins over everything).
        current: the skill that answered the previous turn (sticky).
        faq_hit: the knowledge base has a confident answer (routes to ``faq``).
        margin: how much better a new skill must score to take over from ``current``.
    """
    if pinned in SKILLS:
        return pinned
    if faq_hit:
        return "faq"
    valid = {k: v for k, v in scores.items() if k in SKILLS}
    if not valid:
        return current if current in SKILLS else "assistant"
    best = max(valid, key=lambda k: valid[k])
    if current in SKILLS and current != best:
        if valid[best] - valid.get(current, 0.0) < margin:
            return current
    return best
