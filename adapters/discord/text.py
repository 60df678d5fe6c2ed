"""Text shaping for Discord: 2000-character chunks that keep code blocks intact, and mention safety.

Discord counts a message's length in characters (code points) and refuses more than 2000. A long
reply is cut on the best boundary available (blank line, line end, sentence end — ``。！？；`` for
Chinese —, space, Chinese clause mark) and a
fenced code block that straddles a cut is closed at the end of one chunk and reopened, with its
language tag, at the start of the next, so each chunk renders on its own.
"""

from __future__ import annotations

import re

from botcore.sentences import CJK_ENDS, CJK_PAUSES

DISCORD_LIMIT = 2000
"""Most characters one Discord message may hold."""

_LANG = re.compile(r"([\w+#.-]*)\s*")
_MASS_MENTION = re.compile(r"@(everyone|here)\b")
_ZWSP = "\u200b"


def neutralize_mass_mentions(text: str) -> str:
    """Break ``@everyone`` and ``@here`` with a zero-width space so they never read as pings.

    ``allowed_mentions=AllowedMentions.none()`` already stops the ping itself; this keeps the
    text from looking like one (and protects any path that forgets the allowed mentions).
    """
    return _MASS_MENTION.sub(lambda m: f"@{_ZWSP}{m.group(1)}", text)


def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` (longer than ``limit``): the best boundary at or before ``limit``."""
    window = text[:limit]
    floor = limit // 2  # don't make tiny chunks just to hit a nicer boundary
    for sep in ("\n\n", "\n", ". ", "! ", "? ", *CJK_ENDS, " ", *CJK_PAUSES):  # Chinese: no spaces
        idx = window.rfind(sep)
        if idx >= floor:
            return idx + len(sep)
    return limit


def _fence_state(lines: list[str], lang: str | None) -> str | None:
    """The open code block's language after ``lines`` (``None`` when no block is open).

    Every ```` ``` ```` toggles a block, wherever it sits on the line (Discord renders
    ``text ```code``` `` as a block too); an opening fence's language is the word right after it
    when nothing else follows on that line.
    """
    for line in lines:
        pos = line.find("```")
        while pos != -1:
            if lang is not None:
                lang = None
            else:
                match = _LANG.fullmatch(line[pos + 3 :])
                lang = match.group(1) if match else ""
            pos = line.find("```", pos + 3)
    return lang


def split_message(text: str, limit: int = DISCORD_LIMIT) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters, keeping code blocks intact.

    Args:
        text: the message text (Markdown, possibly with fenced code blocks).
        limit: the most characters per chunk (Discord: 2000).

    Returns:
        The chunks, in order; a single chunk when ``text`` fits; ``[]`` for empty text.
    """
    if limit < 40:
        raise ValueError("limit too small to hold a code fence")
    text = text.strip("\n")
    if not text.strip():
        return []
    chunks: list[str] = []
    open_lang: str | None = None  # language of the code block open at the start of ``rest``
    rest = text
    while rest:
        prefix = f"```{open_lang}\n" if open_lang is not None else ""
        if len(prefix) + len(rest) <= limit:
            chunks.append(prefix + rest)
            break
        # Reserve room for a closing fence in case the cut lands inside a block.
        budget = limit - len(prefix) - len("\n```")
        cut = _cut_point(rest, budget)
        piece, rest = rest[:cut], rest[cut:]
        lang_after = _fence_state(piece.splitlines(), open_lang)
        body = prefix + piece.rstrip("\n") if lang_after is not None else prefix + piece.rstrip()
        if lang_after is not None:
            body += "\n```"
            rest = rest.lstrip("\n")
        else:
            rest = rest.lstrip()
        if body.strip():
            chunks.append(body)
        open_lang = lang_after
    return chunks


def truncate(text: str, limit: int = DISCORD_LIMIT) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (for live previews while streaming)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
