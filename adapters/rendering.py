"""Platform-neutral text helpers for adapters: lengths, sanitizing and splitting long replies.

One splitter serves every platform, parametrized by the limit and its :class:`Unit`: Telegram
limits a message to 4096 UTF-16 code units, Discord to 2000 characters. It cuts on the best
boundary that fits (paragraph, then line, then a sentence end — ``. ! ?`` before a space, or a
Chinese ``。！？；`` that needs none —, then whitespace, then a Chinese clause mark ``，、：`` —
Chinese has no spaces —, then a hard cut that keeps surrogate pairs, combining marks and ``\\r\\n``
together) and avoids cutting inside *protected* ranges (code blocks) whenever another boundary
exists. :func:`split_text` loses nothing: its parts concatenate back to the input.
:func:`split_markdown` is the fence-aware variant for platforms that take Markdown as is: a fenced
block that must be cut is closed and reopened in the next part, so every part renders on its own.
"""

from __future__ import annotations

import enum
import itertools
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable, Sequence

from botcore.sentences import CJK_ENDS, CJK_PAUSES, CLOSERS

Measure = Callable[[str], int]
"""Length of a string in the platform's units."""

_PARAGRAPH, _PROTECTED_EDGE, _LINE, _SENTENCE, _SPACE, _CLAUSE = 0, 1, 2, 3, 4, 5
_BREAKS = re.compile(
    r"(?P<para>\n(?:[^\S\n]*\n)+)|(?P<line>\n)"
    rf"|(?P<sentence>[{CJK_ENDS}…]+[{re.escape(CLOSERS)}]*|[.!?]+[{re.escape(CLOSERS)}]*[^\S\n]+)"
    r"|(?P<space>[^\S\n]+)"
    rf"|(?P<clause>[{CJK_PAUSES}]+)"
)
_LEVELS = {"para": _PARAGRAPH, "line": _LINE, "sentence": _SENTENCE, "space": _SPACE,
           "clause": _CLAUSE}
_FENCE = re.compile(r"^[ \t]*(`{3,})[ \t]*([^\n`]*)\n", re.MULTILINE)
_TICKS = re.compile("```")
_INFO = re.compile(r"([\w+#.-]{0,32})[^\S\n]*(?:\n|$)")
_CLOSE_FENCE = "\n```"
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts in (an emoji outside the BMP is 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def codepoint_len(text: str) -> int:
    """Length in Unicode code points (Python's ``len``)."""
    return len(text)


class Unit(enum.Enum):
    """What a platform counts a message's length in."""

    UTF16 = "utf-16"
    """UTF-16 code units (Telegram: an emoji outside the BMP counts 2)."""
    CHARS = "chars"
    """Characters, i.e. code points (Discord)."""

    def measure(self, text: str) -> int:
        """Length of ``text`` in this unit."""
        return utf16_len(text) if self is Unit.UTF16 else len(text)


def sanitize(text: str) -> str:
    """Make ``text`` safe to encode as UTF-8: join surrogate pairs, replace lone surrogates and NUL.

    Text decoded from JSON can hold ``"\\ud83d\\ude00"`` as two code points or a lone ``"\\ud800"``;
    either breaks a UTF-8 encoder downstream.
    """
    if _LONE_SURROGATE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text.replace("\x00", "")


def _fit_end(text: str, start: int, limit: int, measure: Measure) -> int:
    """The largest ``end`` with ``measure(text[start:end]) <= limit`` (at least ``start + 1``)."""
    hi = min(len(text), start + limit)
    if measure(text[start:hi]) <= limit:
        return hi
    lo = start + 1
    while lo < hi:  # invariant: text[start:lo] fits (or lo == start + 1), text[start:hi+1] doesn't
        mid = (lo + hi + 1) // 2
        if measure(text[start:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _safe_hard_cut(text: str, start: int, end: int) -> int:
    """Move a hard cut left so it does not split a pair, a grapheme's marks or ``\\r\\n``."""
    cut = end
    while cut > start + 1:
        prev, nxt = text[cut - 1], text[cut]
        glued = (
            (prev == "\r" and nxt == "\n")
            or ("\ud800" <= prev <= "\udbff" and "\udc00" <= nxt <= "\udfff")
            or prev == "\u200d"
            or nxt in "\u200d\ufe0e\ufe0f"
            or unicodedata.combining(nxt) != 0
        )
        if not glued:
            return cut
        cut -= 1
    return end


class _Protected:
    """Sorted, non-overlapping ``[start, end)`` ranges that cuts should avoid."""

    def __init__(self, ranges: Sequence[tuple[int, int]]) -> None:
        merged: list[tuple[int, int]] = []
        for a, b in sorted(r for r in ranges if r[1] > r[0]):
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        self.ranges = merged
        self.starts = [a for a, _ in merged]

    def inside(self, pos: int) -> bool:
        """True when ``pos`` lies strictly inside a range (a cut there would split it)."""
        i = bisect_left(self.starts, pos) - 1
        return i >= 0 and self.ranges[i][0] < pos < self.ranges[i][1]


def _candidates(
    text: str, start: int, end: int, protected: _Protected
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Breaks in ``(start, end]`` as ``(level, cut)``: (outside, inside) protected ranges."""
    outside: list[tuple[int, int]] = []
    inside: list[tuple[int, int]] = []
    for m in _BREAKS.finditer(text, start, end):
        cut = m.end()
        if cut <= start:
            continue
        level = _LEVELS[m.lastgroup or "space"]
        (inside if protected.inside(cut) else outside).append((level, cut))
    for a, b in protected.ranges:
        for edge in (a, b):
            if start < edge <= end:
                outside.append((_PROTECTED_EDGE, edge))
    return outside, inside


def _best(cands: list[tuple[int, int]], min_cut: int) -> int | None:
    eligible = [(level, -cut) for level, cut in cands if cut >= min_cut]
    if not eligible:
        return None
    return -min(eligible)[1]


def split_points(
    text: str,
    limit: int,
    *,
    protected: Sequence[tuple[int, int]] = (),
    measure: Measure = utf16_len,
) -> list[int]:
    """Where to cut ``text`` so every part measures at most ``limit``.

    Returns the part boundaries ``[0, c1, c2, ..., len(text)]``.

    Args:
        text: the text to split.
        limit: the most units a part may measure (at least 2, so a surrogate pair fits).
        protected: ``[start, end)`` ranges (code blocks) not to cut into unless one alone
            exceeds ``limit``.
        measure: the platform's length function.
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    prot = _Protected(protected)
    points = [0]
    start = 0
    while start < len(text):
        end = _fit_end(text, start, limit, measure)
        if end >= len(text):
            points.append(len(text))
            break
        outside, inside = _candidates(text, start, end, prot)
        half = start + (end - start) // 2
        cut = _best(outside, half) or _best(outside, start + 1) or _best(inside, start + 1)
        if cut is None:
            cut = _safe_hard_cut(text, start, end)
        points.append(cut)
        start = cut
    return points


def split_text(
    text: str,
    limit: int,
    *,
    protected: Sequence[tuple[int, int]] = (),
    measure: Measure = utf16_len,
) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` units; ``"".join(parts) == text``.

    See :func:`split_points` for the arguments. An empty text gives ``[]``.
    """
    points = split_points(text, limit, protected=protected, measure=measure)
    return [text[a:b] for a, b in itertools.pairwise(points)]


def fenced_blocks(text: str) -> list[tuple[int, int, str]]:
    """The Markdown fenced code blocks of ``text`` as ``(start, end, info)``; an unclosed fence
    runs to the end of the text."""
    blocks: list[tuple[int, int, str]] = []
    pos = 0
    while True:
        m = _FENCE.search(text, pos)
        if m is None:
            return blocks
        closing = re.compile(rf"^[ \t]*{m.group(1)}`*[ \t]*$", re.MULTILINE)
        c = closing.search(text, m.end())
        end = len(text) if c is None else c.end()
        blocks.append((m.start(), end, m.group(2).strip()))
        if c is None:
            return blocks
        pos = end


def fence_spans(text: str) -> list[tuple[int, int, str]]:
    """Code blocks as chat clients draw them, as ``(start, end, info)``.

    Every ```` ``` ```` opens or closes a block wherever it sits on a line (Discord draws
    ``You said: ```js`` as a block too); an opening fence's info is the word right after it when
    nothing else follows on that line. An unclosed block runs to the end of the text.
    """
    spans: list[tuple[int, int, str]] = []
    opened: tuple[int, str] | None = None
    for m in _TICKS.finditer(text):
        if opened is None:
            info = _INFO.match(text, m.end())
            opened = (m.start(), info.group(1) if info else "")
        else:
            spans.append((opened[0], m.end(), opened[1]))
            opened = None
    if opened is not None:
        spans.append((opened[0], len(text), opened[1]))
    return spans


def split_markdown(text: str, limit: int, *, unit: Unit = Unit.UTF16, trim: bool = False) -> list[str]:
    """Split Markdown into parts of at most ``limit`` units without breaking code blocks.

    A block that fits in one part is never cut; one that doesn't is closed with a fence at the end
    of a part and reopened (with its language) at the start of the next, so each part renders on
    its own. Room for that fence is always kept, so a part measures at most ``limit - 4`` unless it
    is the whole text.

    Args:
        text: the Markdown text.
        limit: the most units one part may measure (Telegram 4096, Discord 2000).
        unit: what the platform counts in.
        trim: strip whitespace around each part (for platforms that trim messages themselves);
            whitespace-only parts are dropped either way.

    Returns:
        The parts in order: without any cut block and without ``trim`` they concatenate back to
        ``text`` (less whitespace-only parts); ``[]`` for blank text.
    """
    if unit.measure(text) <= limit:
        whole = text.strip() if trim else text
        return [whole] if whole.strip() else []
    blocks = fence_spans(text)
    reserve = unit.measure(_CLOSE_FENCE) + max(
        (unit.measure(f"```{info}\n") for *_, info in blocks), default=0
    )
    parts = split_text(text, max(2, limit - reserve), protected=[(a, b) for a, b, _ in blocks],
                       measure=unit.measure)
    out: list[str] = []
    offset = 0
    reopen = ""
    for part in parts:
        end = offset + len(part)
        open_block = next((blk for blk in blocks if blk[0] < end < blk[1]), None)
        piece = reopen + part
        if open_block is not None:
            piece += ("" if piece.endswith("\n") else "\n") + "```"
            reopen = f"```{open_block[2]}\n"
        else:
            reopen = ""
        if trim:
            piece = piece.strip()
        if piece.strip():
            out.append(piece)
        offset = end
    return out
