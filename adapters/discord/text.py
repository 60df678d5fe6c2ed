"""Text shaping for Discord: 2000-character chunks that keep code blocks intact, and mention safety.

Discord counts a message's length in characters (code points) and refuses more than 2000. A long
reply is cut by the adapters' shared splitter (:func:`adapters.rendering.split_markdown`): on the
best boundary available, with a code block that straddles a cut closed at the end of one chunk and
reopened, with its language tag, at the start of the next, so each chunk renders on its own.
"""

from __future__ import annotations

import re

from adapters.rendering import Unit, split_markdown

DISCORD_LIMIT = 2000
"""Most characters one Discord message may hold."""

_MASS_MENTION = re.compile(r"@(everyone|here)\b")
_ZWSP = "\u200b"


def neutralize_mass_mentions(text: str) -> str:
    """Break ``@everyone`` and ``@here`` with a zero-width space so they never read as pings.

    ``allowed_mentions=AllowedMentions.none()`` already stops the ping itself; this keeps the
    text from looking like one (and protects any path that forgets the allowed mentions).
    """
    return _MASS_MENTION.sub(lambda m: f"@{_ZWSP}{m.group(1)}", text)


def split_message(text: str, limit: int = DISCORD_LIMIT) -> list[str]:
    """``text`` as Discord messages of at most ``limit`` characters, code blocks intact.

    Args:
        text: the message text (Markdown, possibly with fenced code blocks).
        limit: the most characters per chunk (Discord: 2000).

    Returns:
        The chunks, in order, trimmed; a single chunk when ``text`` fits; ``[]`` for blank text.
    """
    return split_markdown(text, limit, unit=Unit.CHARS, trim=True)


def truncate(text: str, limit: int = DISCORD_LIMIT) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (for live previews while streaming)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
