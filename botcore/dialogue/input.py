"""Cleaning user text before it reaches memory or the model.

Everything a platform can deliver is accepted here and either cleaned or refused with a clear,
user-facing reason: control characters, lone UTF-16 surrogates, zero-width characters, overlong
text. Right-to-left text and emoji pass through untouched: a zero-width joiner (ZWJ) or
non-joiner (ZWNJ) between two letters or emoji is part of the writing (👨‍👩‍👧 is one emoji
joined by ZWJs; Persian and other scripts need ZWNJ inside words), so only stray ones go.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from botcore.i18n import Text, detect_language
from botcore.messages import AttachmentKind, IncomingMessage

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u2060\ufeff"), None)
_JOINER = re.compile(r"[\u200c\u200d]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SPACES = re.compile(r"[ \t]{3,}")
_BLANK_LINES = re.compile(r"\n{4,}")
EMPTY = Text("I got an empty message. Type something and I'll answer!",
             "我收到了一条空消息。写点什么吧，我会回复你的！")


@dataclass(frozen=True, slots=True)
class CleanInput:
    """The cleaned text, or the reason it cannot be answered (``refusal``)."""

    text: str
    refusal: str | None = None
    truncated: bool = False


def _joinable(char: str) -> bool:
    """A letter, a combining mark, or part of an emoji (symbols, variation selectors, skin
    tones, tags): what ZWJ/ZWNJ legitimately sit between."""
    if not char:
        return False
    cat = unicodedata.category(char)
    return cat[0] in "LM" or cat in {"So", "Sk"} or "\ufe00" <= char <= "\ufe0f" \
        or "\U000e0020" <= char <= "\U000e007f"


def _drop_stray_joiners(text: str) -> str:
    """Remove ZWJ/ZWNJ unless they sit between two joinable characters."""
    if "\u200c" not in text and "\u200d" not in text:
        return text
    return _JOINER.sub(lambda m: m.group(0) if m.start() > 0 and m.end() < len(text)
                       and _joinable(text[m.start() - 1]) and _joinable(text[m.end()])
                       else "", text)


def clean_text(raw: str, max_chars: int, lang: str | None = None) -> CleanInput:
    """Normalize ``raw``; refuse empty text (in ``lang``); cut (and flag) text over ``max_chars``."""
    text = _SURROGATE.sub("\ufffd", raw)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _drop_stray_joiners(_CONTROL.sub("", text).translate(_ZERO_WIDTH))
    text = _BLANK_LINES.sub("\n\n\n", _SPACES.sub("  ", text)).strip()
    if not text:
        return CleanInput("", refusal=EMPTY.render(lang))
    if len(text) > max_chars:
        return CleanInput(text[:max_chars], truncated=True)
    return CleanInput(text)


_KIND_WORDS = {
    AttachmentKind.PHOTO: Text("photos", "图片"),
    AttachmentKind.STICKER: Text("stickers", "贴纸"),
    AttachmentKind.VOICE: Text("voice messages", "语音消息"),
    AttachmentKind.AUDIO: Text("audio", "音频"),
    AttachmentKind.VIDEO: Text("videos", "视频"),
    AttachmentKind.DOCUMENT: Text("files", "文件"),
    AttachmentKind.OTHER: Text("that kind of message", "这类消息"),
}
OR = Text(" or ", "或")
ATTACHMENT = Text("Thanks! I can't look at {kinds} yet — I only understand text. "
                  "Could you describe it in words?",
                  "谢谢！我现在还看不了{kinds}，只能读懂文字。你能用文字描述一下吗？")


def attachment_notice(message: IncomingMessage, lang: str | None = None) -> str | None:
    """A polite reply (in ``lang``, else the message's) for attachments without text, else None."""
    if not message.attachments or message.text.strip():
        return None
    lang = lang or message.language or detect_language(message.text)
    kinds = sorted({_KIND_WORDS[a.kind].render(lang) for a in message.attachments})
    return ATTACHMENT.render(lang, kinds=OR.render(lang).join(kinds))
