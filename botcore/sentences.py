"""Sentence boundaries for English and Chinese text, shared by streaming, trimming, splitting and
summaries.

English ends a sentence with ``. ! ?`` (or ``…``) followed by whitespace; Chinese with the
full-width ``。！？；`` (or ``…``) and no space after it. Closing quotes and brackets after the
mark belong to the sentence (``他说：“好。”`` ends after ``”``).
"""

from __future__ import annotations

import re

CJK_ENDS = "。！？；"
"""Full-width marks that end a sentence without a following space."""
LATIN_ENDS = ".!?"
CLOSERS = "\"')]”’」』）】》"
"""Closing quotes and brackets that stay with the sentence they close."""
CJK_PAUSES = "，、：,"
"""Places to cut CJK text that has no sentence end and no spaces (clause boundaries)."""

_CLOSE = f"[{re.escape(CLOSERS)}]*"
_END = re.compile(
    rf"(?:[{re.escape(LATIN_ENDS)}…]{_CLOSE}(?=\s|$))"  # English: a mark, then space or the end
    rf"|(?:[{re.escape(CJK_ENDS)}]+|…+){_CLOSE}"  # Chinese: no space needed
)
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def sentence_ends(text: str) -> list[int]:
    """Indices just after each complete sentence of ``text`` (line ends count as ends)."""
    ends = {m.end() for m in _END.finditer(text)}
    ends.update(i + 1 for i, ch in enumerate(text) if ch == "\n")
    return sorted(e for e in ends if e > 0)


def last_sentence_end(text: str) -> int:
    """The index just after the last complete sentence in ``text`` (0 when there is none).

    A mark at the very end counts only when it is unambiguous: a full-width mark always (a model
    writing Chinese continues without a space), a Latin one too (callers pass finished text or
    text held back by a few characters)."""
    ends = sentence_ends(text)
    return ends[-1] if ends else 0


def split_sentences(text: str) -> list[str]:
    """``text`` as stripped sentences (English and Chinese), empty pieces dropped."""
    out: list[str] = []
    start = 0
    for end in [*sentence_ends(text), len(text)]:
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    return out


def has_cjk(text: str) -> bool:
    """True when ``text`` contains CJK characters or full-width punctuation."""
    return _CJK.search(text) is not None
