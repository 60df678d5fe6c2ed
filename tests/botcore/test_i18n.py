"""The message catalog: every fixed text in both languages, language detection."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import adapters
import botcore
from botcore.i18n import Text, catalog, detect_language, normalize_lang


def _import_all() -> None:
    for package in (botcore, adapters):
        for mod in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(mod.name)


def test_every_fixed_text_has_both_languages_and_the_same_placeholders() -> None:
    _import_all()
    texts = catalog()
    assert texts, "no fixed texts declared"
    for text in texts:
        assert text.en.strip() and text.zh.strip()
        # Same placeholders: rendering with the English names must work in Chinese too.
        names = {n for _, n, _, _ in __import__("string").Formatter().parse(text.en) if n}
        values = dict.fromkeys(names, "X")
        assert text.render("en", **values) and text.render("zh", **values)


def test_a_text_missing_a_language_or_placeholder_is_refused() -> None:
    with pytest.raises(ValueError):
        Text("Hello", "")
    with pytest.raises(ValueError):
        Text("Wait {s} seconds", "请稍等")


@pytest.mark.parametrize(("text", "lang"), [
    ("你好，我叫小明，我养了一只猫叫咪咪。", "zh"),
    ("Hi, I'm Ana", "en"),
    ("我喜欢Python编程", "zh"),
    ("/help", "en"),
    ("12 + 5", None),
    ("👍", None),
])
def test_detect_language(text: str, lang: str | None) -> None:
    assert detect_language(text) == lang


def test_normalize_lang() -> None:
    assert normalize_lang("zh-Hans") == "zh"
    assert normalize_lang("zh_CN") == "zh"
    assert normalize_lang("en-US") == "en"
    assert normalize_lang(None) == "en"
    assert Text("Hi {n}", "你好 {n}").render("zh-CN", n="A") == "你好 A"
