"""Text clean-up around generation: stop strings, unfinished sentences (English and Chinese),
repeated phrases."""

from __future__ import annotations

import re
from collections.abc import Sequence

from botcore.sentences import CJK_ENDS, CJK_PAUSES, CLOSERS, LATIN_ENDS, last_sentence_end

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


def trim_unfinished(text: str) -> str:
    """Drop a trailing unfinished sentence (the reply was cut by the token limit).

    Text with no complete sentence is cut at its last word boundary (a space, or for Chinese,
    which has none, a clause mark such as ``，``) and gets an ellipsis.
    """
    stripped = text.rstrip()
    if not stripped or stripped[-1] in LATIN_ENDS + CJK_ENDS + CLOSERS + "…":
        return stripped
    end = last_sentence_end(stripped)
    if end > 0:
        return stripped[:end].rstrip()
    cut = max(stripped.rfind(" "), *(stripped.rfind(mark) for mark in CJK_PAUSES))
    return (stripped[:cut] if cut > 0 else stripped).rstrip(" ,;:-，、：") + "…"


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
