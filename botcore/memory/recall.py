"""Choosing which long-term memories go into the prompt, and rolling summaries.

Facts are ranked by cosine similarity between the message's retrieval embedding (from the shared
model's trunk) and each fact's embedding; the user's name always comes along. Summaries are
extractive (the user's own first sentences): the 135M generator invents details when asked to
summarize, and a wrong memory is worse than a terse one.
"""

from __future__ import annotations

from collections.abc import Sequence

from botcore.memory.base import Turn
from botcore.sentences import split_sentences

NAME_PREFIX = "Their name is "
NAME_PREFIXES = (NAME_PREFIX, "用户的名字是")
"""How a stored name fact starts, in English and Chinese (see botcore.memory.facts.FACT_NAME)."""


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=False))


def rank_facts(query: Sequence[float] | None, facts: Sequence[tuple[str, Sequence[float] | None]],
               k: int = 5) -> list[str]:
    """The ``k`` most relevant fact texts (plus the name fact), in stored order."""
    if not facts:
        return []
    keep: set[int] = {i for i, (text, _) in enumerate(facts) if text.startswith(NAME_PREFIXES)}
    if query is None:
        scored = list(range(len(facts)))[-k:]
    else:
        def score(i: int) -> float:
            vec = facts[i][1]
            return _dot(query, vec) if vec else -1.0

        scored = sorted(range(len(facts)), key=score, reverse=True)[:k]
    keep.update(scored)
    return [facts[i][0] for i in sorted(keep)]




def extractive_summary(turns: Sequence[Turn], max_chars: int = 600) -> str:
    """A short summary of older turns: what the user said, first sentence of each message."""
    parts: list[str] = []
    for turn in turns:
        if turn.role != "user" or turn.text.startswith("/"):
            continue
        sentences = split_sentences(turn.text.strip())  # English and Chinese sentence ends
        first = sentences[0][:120] if sentences else ""
        if first and first not in parts:
            parts.append(first)
    text = "The user said: " + " | ".join(parts) if parts else ""
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"
