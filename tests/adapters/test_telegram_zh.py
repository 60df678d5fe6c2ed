"""Chinese updates (``Update.de_json`` of real payload shapes) through the Telegram normalizer and
the real dialogue manager (SQLite, instant model), every Bot API call recorded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from telegram import Update

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.bot import build_bot
from adapters.telegram.normalize import BotIdentity, normalize
from adapters.telegram.ratelimit import ChatRateLimiter
from tests.adapters import telegram_payloads as p
from tests.adapters.fake_bot_api import FakeBotApi, RecordingRequest
from tests.conftest import make_settings

ME = BotIdentity(p.BOT_ID, p.BOT_USERNAME)


def test_the_normalizer_keeps_chinese_text_and_the_language_hint() -> None:
    bot = build_bot(p.TOKEN, request=RecordingRequest(FakeBotApi()))
    update = Update.de_json(p.zh_text(1, "你好，我叫小明，我养了一只猫叫咪咪。", 10), bot)
    assert update is not None
    incoming = normalize(update, ME)
    assert incoming is not None
    assert incoming.text == "你好，我叫小明，我养了一只猫叫咪咪。"
    assert incoming.language == "zh-hans" and incoming.user_name == "小明"
    mention = Update.de_json(p.zh_group_mention(2, "我的猫叫什么名字？", 11), bot)
    assert mention is not None
    grouped = normalize(mention, ME)
    assert grouped is not None and grouped.addressed and grouped.text == "我的猫叫什么名字？"


async def test_a_chinese_conversation_through_the_real_dialogue_manager(tmp_path: Path) -> None:
    from botcore.runtime import open_runtime

    api = FakeBotApi()
    request = RecordingRequest(api)
    bot = build_bot(p.TOKEN, request=request, get_updates_request=request,
                    rate_limiter=ChatRateLimiter(per_chat_interval=0.0))
    settings = make_settings(tmp_path, telegram_token=p.TOKEN)
    async with open_runtime(settings) as rt:
        adapter = TelegramAdapter(rt, bot=bot, outbox=False)
        await adapter.start()

        async def feed(payload: dict[str, Any]) -> list[str]:
            api.calls.clear()
            update = Update.de_json(payload, bot)
            assert update is not None
            await adapter.submit(update)
            await rt.manager.aclose()  # background fact extraction done
            return [c.params["text"] for c in api.calls
                    if c.method in {"sendMessage", "editMessageText"}]

        start = await feed(p.zh_command(1, "/start", 10))  # no words: language_code decides
        assert start[-1].startswith("你好，小明！我可以做这些事")
        await feed(p.zh_text(2, "你好，我叫小明，我养了一只猫叫咪咪。", 11))
        assert await feed(p.zh_text(3, "我的猫叫什么名字？", 12)) == ["你的猫叫咪咪。"]
        # what was said in private stays there: the group answer does not quote it
        assert await feed(p.zh_group_mention(4, "我的猫叫什么名字？", 13)) == ["你还没跟我说过你的猫。"]
        sticker = await feed(p.zh_sticker(5, 14))
        assert len(sticker) == 1 and "贴纸" in sticker[0]
        await feed(p.zh_text(6, "12+5", 15))
        assert (await feed(p.zh_command(7, "/memory", 16)))[-1].startswith("我记得这些关于你的事")
        crisis = await feed(p.zh_text(8, "我真的不想活了", 17))
        assert "谢谢你愿意告诉我" in crisis[-1]
        forget = await feed(p.zh_command(9, "/forget", 18))
        assert "你确定吗" in forget[-1]
        buttons = api.calls[-1].params["reply_markup"]["inline_keyboard"][0]
        assert [b["text"] for b in buttons] == ["确定，全部删除", "取消"]
        kept = await feed(p.zh_callback(10, buttons[1]["callback_data"], "cb-zh"))
        assert kept == ["好的，一切保持原样。"]
        await bot.shutdown()
