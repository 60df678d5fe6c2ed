"""Slash command texts in the user's Discord language, from the botcore message catalog.

Command descriptions are declared as ``app_commands.locale_str(SOME_TEXT.en, text=SOME_TEXT)``
(plain ``locale_str(SOME_TEXT.en)`` works too: it is looked up in the catalog by its English); this
translator answers Discord's Simplified Chinese locale with that :class:`~botcore.i18n.Text`'s
Chinese, so ``tree.sync()`` uploads both languages.
"""

from __future__ import annotations

import discord
from discord import app_commands

from botcore.i18n import Text, catalog

CHINESE = frozenset({discord.Locale.chinese})
"""Discord locales answered in Simplified Chinese (``zh-CN``; ``zh-TW`` is Traditional)."""


class CatalogTranslator(app_commands.Translator):
    """Translates command names' descriptions by looking their English up in the catalog."""

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        """The Chinese of ``string`` for a Chinese locale, else None (Discord shows English)."""
        if locale not in CHINESE:
            return None
        declared = string.extras.get("text")
        if isinstance(declared, Text):
            return declared.zh
        for text in catalog():
            if text.en == string.message:
                return text.zh
        return None
