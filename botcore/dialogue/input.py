"""Cleaning user text before it reaches memory or the model.

Everything a platform can deliver is accepted here and either cleaned or refused with a clear,
user-facing reason: control characters, lone UTF-16 surrogates, zero-width characters, overlong
text. Right-to-left text and emoji pass through untouched.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from botcore.messages import AttachmentKind, IncomingMessage

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACES = re.compile(r"[ \t]{3,}")
_BLANK_LINES = re.compile(r"\n{4,}")


@dataclass(frozen=True, slots=True)
class CleanInput:
    """The cleaned text, or the reason it cannot be answered (``refusal``)."""

    text: str
    refusal: str | None = None
    truncated: bool = False


def clean_text(raw: str, max_chars: int) -> CleanInput:
    """Normalize ``raw``; refuse empty text; cut (and flag) text over ``max_chars``."""
    text = _SURROGATE.sub("\ufffd", raw)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text).translate(_ZERO_WIDTH)
    text = _BLANK_LINES.sub("\n\n\n", _SPACES.sub("  ", text)).strip()
    if not text:
        return CleanInput("", refusal="I got an empty message. Type something and I'll answer!")
    if len(text) > max_chars:
        return CleanInput(text[:max_chars], truncated=True)
    return CleanInput(text)


_KIND_WORDS = {
    AttachmentKind.PHOTO: "photos",
    AttachmentKind.STICKER: "stickers",
    AttachmentKind.VOICE: "voice messages",
    AttachmentKind.AUDIO: "audio",
    AttachmentKind.VIDEO: "videos",
    AttachmentKind.DOCUMENT: "files",
    AttachmentKind.OTHER: "that kind of message",
}


def attachment_notice(message: IncomingMessage) -> str | None:
    """A polite reply for attachments when there is no text to answer, else None."""
    if not message.attachments or message.text.strip():
        return None
    kinds = sorted({_KIND_WORDS[a.kind] for a in message.attachments})
    return (
        f"Thanks! I can't look at {' or '.join(kinds)} yet — I only understand text. "
        "Could you describe it in words?"
    )
