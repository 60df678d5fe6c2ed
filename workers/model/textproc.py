"""Text clean-up around generation: stop strings, unfinished sentences, repeated phrases."""

from __future__ import annotations

import re
from collections.abc import Sequence

_SENTENCE_END = re.compile(r"[.!?…](?:[\"')\]]*)(?=\s)|\n")
_ROLE_LEAK = ("<|im_start|>", "<|im_end|>", "\nUser:", "\nuser:", "\nAssistant:", "\nassistant:")


def default_stops() -> tuple[str, ...]:
    """Stop strings every request gets: chat-markup and role prefixes the small models leak."""
    return _ROLE_LEAK


def cut_at_stop(text: str, stops: Sequence[str]) -> tuple[str, bool]:
    """Cut ``text`` at the earliest stop string.

    Returns:
        The text before the stop, and whether a stop string was found.
    """
    best = -1
    for stop in stops:
        if not stop:
            continue
        pos = text.find(stop)
        if pos != -1 and (best == -1 or pos < best):
            best = pos
    if best == -1:
        return text, False
    return text[:best], True


def last_sentence_end(text: str) -> int:
    """The index just after the last complete sentence in ``text`` (0 when there is none)."""
    end = 0
    for match in _SENTENCE_END.finditer(text + " "):
        end = match.end() if match.group(0) != "\n" else match.start() + 1
    return min(end, len(text))


def trim_unfinished(text: str) -> str:
    """Drop a trailing unfinished sentence (the reply was cut by the token limit).

    Text with no complete sentence is cut at its last word boundary and gets an ellipsis.
    """
    stripped = text.rstrip()
    if not stripped or stripped[-1] in ".!?…)\"'":
        return stripped
    end = last_sentence_end(stripped)
    if end > 0:
        return stripped[:end].rstrip()
    space = stripped.rfind(" ")
    return (stripped[:space] if space > 0 else stripped).rstrip(" ,;:-") + "…"


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def ngrams(words: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """All n-grams of ``words``, in order."""
    return [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]


def repetition_rate(text: str, n: int = 3) -> float:
    """Share of word n-grams in ``text`` that already occurred earlier in it (0 = no repeat)."""
    grams = ngrams(_words(text), n)
    if not grams:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def distinct_n(texts: Sequence[str], n: int = 2) -> float:
    """Distinct-n over a set of replies: unique n-grams / all n-grams."""
    grams = [g for t in texts for g in ngrams(_words(t), n)]
    return len(set(grams)) / len(grams) if grams else 0.0
