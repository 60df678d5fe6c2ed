"""Fixed texts in English and Simplified Chinese, and the user's language.

Every fixed text a user sees is a :class:`Text` with both languages, declared next to the code
that sends it (``SLOW_DOWN = Text("Please wait {s} seconds.", "请等待 {s} 秒。")``) and rendered
with ``SLOW_DOWN.render(lang, s=3)``. A :class:`Text` cannot be built without both languages, and
:func:`catalog` lists every one declared so far, so a test can prove that no string is missing in
either language and that both use the same ``{placeholders}``.

:func:`detect_language` tells Chinese from English by script (Han characters), which is what the
bot needs to answer in the user's language; other languages are treated as English.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Literal

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002a6df]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

_REGISTRY: list[Text] = []


def _fields(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


@dataclass(frozen=True, slots=True)
class Text:
    """One fixed text in every language the bot speaks."""

    en: str
    zh: str

    def __post_init__(self) -> None:
        if not self.en.strip() or not self.zh.strip():
            raise ValueError(f"a fixed text needs both languages: {self.en!r} / {self.zh!r}")
        if _fields(self.en) != _fields(self.zh):
            raise ValueError(f"placeholders differ between languages: {self.en!r} / {self.zh!r}")
        _REGISTRY.append(self)

    def get(self, lang: str | None) -> str:
        """The template in ``lang`` (English for unknown or missing languages)."""
        return self.zh if normalize_lang(lang) == "zh" else self.en

    def render(self, lang: str | None, /, **values: object) -> str:
        """The text in ``lang`` with ``{placeholders}`` filled in."""
        template = self.get(lang)
        return template.format(**values) if values else template


def catalog() -> tuple[Text, ...]:
    """Every :class:`Text` declared so far (import the modules first to fill it)."""
    return tuple(_REGISTRY)


def normalize_lang(lang: str | None) -> Lang:
    """Map a language tag (``zh-Hans``, ``zh_CN``, ``en-US``, None) to ``"en"`` or ``"zh"``."""
    if lang and lang.strip().lower().replace("_", "-").split("-")[0] == "zh":
        return "zh"
    return "en"


def detect_language(text: str, default: Lang | None = None) -> Lang | None:
    """``"zh"`` when the text is mostly Chinese, ``"en"`` when it has Latin words, else ``default``.

    Commands, numbers, emoji and single letters carry no language: they return ``default`` so
    the caller keeps the language already known for the conversation.
    """
    han = len(_HAN.findall(text))
    latin = sum(len(w) for w in _LATIN_WORD.findall(text))
    if han and han * 2 >= latin // 3:  # one Han character carries about a word
        return "zh"
    if latin:
        return "en"
    return default


_COMMAND = re.compile(r"^\s*/[A-Za-z0-9_]+(?:@\w+)?")


def turn_language(text: str, known: str | None = None, hint: str | None = None) -> Lang:
    """The language to answer ``text`` in.

    The text's own script decides (a command's name, ``/help``, does not count); text without
    language (``12+5``, emoji, a bare command) keeps the conversation's ``known`` language; then
    the platform's ``hint`` (Telegram ``language_code``, Discord locale); else English.
    """
    found = detect_language(_COMMAND.sub("", text))
    if found:
        return found
    if known:
        return normalize_lang(known)
    return normalize_lang(hint)


def language_of(message: object) -> Lang:
    """The language of a turn's message: its text, else ``message.language`` (which the dialogue
    manager sets to the conversation's language for each turn), else English."""
    return turn_language(str(getattr(message, "text", "") or ""),
                         hint=getattr(message, "language", None))
