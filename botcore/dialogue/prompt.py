"""Prompt assembly: persona + facts + recent turns within a budget.

The bot has no tokenizer (no torch in the bot process), so it estimates tokens from characters
(~4 per token for English, about one per Chinese character); the worker then trims exactly by
token count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from botcore.inference.payloads import ChatTurn
from botcore.memory.base import Turn

CHARS_PER_TOKEN = 4
_WIDE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """Roughly how many tokens ``text`` costs: CJK characters one each, the rest four per token."""
    wide = len(_WIDE.findall(text))
    return wide + (len(text) - wide) // CHARS_PER_TOKEN


def build_messages(
    system: str,
    history: Sequence[Turn],
    user_text: str,
    *,
    facts: Sequence[str] = (),
    summary: str | None = None,
    budget_tokens: int = 1536,
) -> list[ChatTurn]:
    """System turn (with facts and the summary of older turns), as many recent turns as fit,
    then the user's message."""
    sys_text = system
    if facts:
        sys_text += "\nWhat you remember about the user:\n" + "\n".join(f"- {f}" for f in facts)
    if summary:
        sys_text += f"\nEarlier in this conversation: {summary}"
    budget = budget_tokens - estimate_tokens(sys_text) - estimate_tokens(user_text)
    kept: list[ChatTurn] = []
    for turn in reversed(history):
        cost = estimate_tokens(turn.text) + 2
        if budget - cost < 0:
            break
        budget -= cost
        kept.append(ChatTurn(role=turn.role, content=turn.text))
    kept.reverse()
    return [ChatTurn(role="system", content=sys_text), *kept, ChatTurn(role="user", content=user_text)]
