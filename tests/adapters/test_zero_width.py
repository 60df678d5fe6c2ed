"""Zero-width characters (#12 item 14): stray ones are removed, but a ZWJ or ZWNJ between
letters or emoji is part of the writing (ZWJ emoji sequences, Persian ZWNJ) and survives —
from a real Telegram update through the normalizer and the dialogue manager to the reply."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram import Bot, Update

from adapters.telegram.normalize import BotIdentity, normalize
from botcore.runtime import open_runtime
from tests.adapters import telegram_payloads as p
from tests.conftest import make_settings

ME = BotIdentity(p.BOT_ID, p.BOT_USERNAME)
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 👨‍👩‍👧: one emoji, two ZWJs
RAINBOW_FLAG = "\U0001f3f3\ufe0f\u200d\U0001f308"
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # می‌خواهم ("I want"), with ZWNJ


async def _echo(tmp_path: Path, text: str) -> str:
    update = Update.de_json(p.private_text(update_id=7, text=text, message_id=3), Bot(p.TOKEN))
    assert update is not None
    message = normalize(update, ME)
    assert message is not None
    async with open_runtime(make_settings(tmp_path)) as rt:  # the instant model echoes
        out = await rt.manager.handle(message)
    return out[0].text


@pytest.mark.parametrize("kept", [FAMILY, RAINBOW_FLAG, PERSIAN], ids=["zwj-family", "zwj-flag",
                                                                       "persian-zwnj"])
async def test_joiners_inside_words_and_emoji_survive(tmp_path: Path, kept: str) -> None:
    reply = await _echo(tmp_path, f"look {kept} here")
    assert kept in reply, ascii(reply)


async def test_stray_zero_width_characters_are_removed(tmp_path: Path) -> None:
    reply = await _echo(tmp_path, "\u200dhe\u200bllo\u2060 \u200cworld\ufeff\u200d")
    assert "hello world" in reply
    assert not any(ch in reply for ch in "\u200b\u200c\u200d\u2060\ufeff"), ascii(reply)
