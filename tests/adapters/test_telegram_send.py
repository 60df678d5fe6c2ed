"""The adapter's turn and send path, with PTB's real ``ExtBot`` over a recording request.

Updates are real PTB objects from real payload shapes; the Bot API is faked at the HTTP request
seam (:class:`RecordingRequest`), so everything from ``Update`` to the JSON PTB would POST runs
for real.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from adapters.base import HandlerRuntime
from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.bot import COMMANDS, api_base_urls, build_bot
from adapters.telegram.ratelimit import ChatRateLimiter
from botcore.dialogue import command_registry as registry
from botcore.errors import ConfigError
from botcore.messages import Button, IncomingMessage, OutgoingFile, OutgoingMessage
from tests.adapters import telegram_payloads as p
from tests.adapters.fake_bot_api import (
    FakeBotApi,
    RecordingRequest,
    ScriptedHandler,
    UserFlagsRecorder,
)
from tests.conftest import make_settings

ANA = p.ANA["id"]
GROUP = p.GROUP_CHAT["id"]


class Harness:
    """An adapter wired to a fake Bot API, a scripted handler and a flags recorder."""

    def __init__(self, tmp: Path, handler: ScriptedHandler, **limits: Any) -> None:
        self.api = FakeBotApi()
        self.handler = handler
        self.users = UserFlagsRecorder()
        request = RecordingRequest(self.api)
        limiter = ChatRateLimiter(**({"per_chat_interval": 0.0} | limits))
        bot = build_bot(p.TOKEN, request=request, get_updates_request=request, rate_limiter=limiter)
        settings = make_settings(tmp, telegram_token=p.TOKEN)
        self.adapter = TelegramAdapter(
            HandlerRuntime(settings, handler), users=self.users, bot=bot, stream_interval=0.2,
            group_stream_interval=0.2,
        )

    async def feed(self, *payloads: dict[str, Any]) -> None:
        """Process updates concurrently, as polling would, and wait for them."""
        tasks = []
        for payload in payloads:
            update = Update.de_json(payload, self.adapter.bot)
            assert update is not None
            tasks.append(self.adapter.submit(update))
        await asyncio.gather(*tasks)


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[Any]:
    made: list[Harness] = []

    async def factory(handler: ScriptedHandler | None = None, **limits: Any) -> Harness:
        h = Harness(tmp_path, handler or ScriptedHandler(), **limits)
        await h.adapter.start()
        h.api.calls.clear()
        made.append(h)
        return h

    yield factory
    for h in made:
        await h.adapter.bot.shutdown()


def _echo(m: IncomingMessage) -> list[OutgoingMessage]:
    return [OutgoingMessage(f"**echo** {m.text}", m.chat_id, thread_id=m.thread_id)]


async def test_start_checks_the_token_and_registers_the_command_menu(tmp_path: Path) -> None:
    h = Harness(tmp_path, ScriptedHandler())
    await h.adapter.start()
    assert h.api.methods() == ["getMe", "setMyCommands", "setMyCommands"]
    commands = h.api.of("setMyCommands")[0].params["commands"]
    chinese = h.api.of("setMyCommands")[1].params
    assert chinese["language_code"] == "zh"
    assert [c["command"] for c in chinese["commands"]] == [c.command for c in COMMANDS]
    assert any("对话" in c["description"] for c in chinese["commands"])
    assert [c["command"] for c in commands] == [c.command for c in COMMANDS]
    assert [c["command"] for c in commands] == [c.name for c in registry.menu()]
    assert {"start", "help", "mode", "reset", "forget", "export", "memory", "quiz", "progress",
            "feedback", "human", "settings", "hint", "faq", "link", "unlink", "consent"} == {
        c["command"] for c in commands}
    assert h.adapter.me is not None and h.adapter.me.username == p.BOT_USERNAME
    await h.adapter.bot.shutdown()


async def test_private_message_gets_typing_then_an_html_reply(make: Any) -> None:
    h = await make(ScriptedHandler(_echo))
    await h.feed(p.private_text(text="a < b & c"))
    assert h.api.methods() == ["sendChatAction", "sendMessage"]
    action, sent = h.api.calls
    assert action.params == {"chat_id": ANA, "action": "typing"}
    assert sent.params["chat_id"] == ANA
    assert sent.params["text"] == "<b>echo</b> a &lt; b &amp; c"
    assert sent.params["parse_mode"] == "HTML"
    assert "reply_parameters" not in sent.params  # private chats need no reply threading
    [seen] = h.handler.seen
    assert seen.text == "a < b & c" and seen.addressed


async def test_group_reply_quotes_the_message_it_answers(make: Any) -> None:
    h = await make(ScriptedHandler(_echo))
    await h.feed(p.group_mention(message_id=20))
    sent = h.api.of("sendMessage")[0].params
    assert sent["chat_id"] == GROUP
    assert sent["reply_parameters"] == {"message_id": 20, "allow_sending_without_reply": True}


async def test_group_message_not_addressed_reaches_the_manager_but_nothing_is_sent(
    make: Any,
) -> None:
    h = await make(ScriptedHandler(_echo))
    await h.feed(p.group_plain())
    assert [m.addressed for m in h.handler.seen] == [False]
    assert h.api.methods() == []


async def test_forum_topic_reply_stays_in_its_topic(make: Any) -> None:
    h = await make(ScriptedHandler(_echo))
    await h.feed(p.forum_topic_message(thread_id=30, message_id=31))
    assert h.api.methods() == ["sendChatAction", "sendMessage"]
    assert all(c.params["message_thread_id"] == 30 for c in h.api.calls)


async def test_channel_posts_and_service_messages_are_ignored(make: Any) -> None:
    h = await make(ScriptedHandler(_echo))
    await h.feed(p.channel_post(), p.new_member_service())
    assert h.handler.seen == [] and h.api.methods() == []
    assert h.adapter.stats.ignored == 2


async def test_callback_query_is_answered_and_passed_on(make: Any) -> None:
    h = await make(ScriptedHandler(lambda m: [OutgoingMessage("Thanks!", m.chat_id)]))
    await h.feed(p.callback_query(data="fb:up:42", query_id="q-1"))
    assert h.api.methods() == ["answerCallbackQuery", "sendChatAction", "sendMessage"]
    assert h.api.calls[0].params == {"callback_query_id": "q-1"}
    assert h.handler.seen[0].callback_data == "fb:up:42"


async def test_sticker_reaches_the_manager_as_an_attachment(make: Any) -> None:
    h = await make(ScriptedHandler(lambda m: [OutgoingMessage("I can only read text.", m.chat_id)]))
    await h.feed(p.sticker())
    assert h.handler.seen[0].attachments[0].kind == "sticker"
    assert h.api.of("sendMessage")[0].params["text"] == "I can only read text."


async def test_buttons_go_on_the_last_part_of_a_long_reply(make: Any) -> None:
    long_text = "\n\n".join(f"Paragraph {i} " + "word " * 400 for i in range(6))
    buttons = ((Button("👍", "fb:up:7"), Button("👎", "fb:down:7")),)
    h = await make(ScriptedHandler(lambda m: [OutgoingMessage(long_text, m.chat_id, buttons=buttons)]))
    await h.feed(p.private_text())
    sends = h.api.of("sendMessage")
    assert len(sends) >= 3
    assert all(len(c.params["text"].encode("utf-16-le")) // 2 <= 4096 for c in sends)
    assert all("reply_markup" not in c.params for c in sends[:-1])
    assert sends[-1].params["reply_markup"] == {
        "inline_keyboard": [
            [
                {"text": "👍", "callback_data": "fb:up:7"},
                {"text": "👎", "callback_data": "fb:down:7"},
            ]
        ]
    }


async def test_oversized_button_data_is_dropped_not_sent(make: Any) -> None:
    buttons = ((Button("ok", "x" * 65), Button("fine", "y")),)
    h = await make(ScriptedHandler(lambda m: [OutgoingMessage("hi", m.chat_id, buttons=buttons)]))
    await h.feed(p.private_text())
    markup = h.api.of("sendMessage")[0].params["reply_markup"]
    assert markup == {"inline_keyboard": [[{"text": "fine", "callback_data": "y"}]]}


async def test_export_file_is_sent_as_a_document(make: Any) -> None:
    export = OutgoingFile("export.json", b'{"facts": []}')
    h = await make(ScriptedHandler(lambda m: [OutgoingMessage("Your data:", m.chat_id, file=export)]))
    await h.feed(p.private_command(command="/export"))
    assert h.api.methods() == ["sendChatAction", "sendMessage", "sendDocument"]
    assert h.api.of("sendDocument")[0].params["document"] == {"filename": "export.json", "size": 13}


async def test_html_refused_by_telegram_is_resent_as_plain_text(make: Any) -> None:
    h = await make(ScriptedHandler(_echo))
    h.api.fail_next(
        "sendMessage",
        400,
        'Bad Request: can\'t parse entities: unsupported start tag "x" at offset 3',
    )
    await h.feed(p.private_text(text="hi"))
    first, second = h.api.of("sendMessage")
    assert first.params["parse_mode"] == "HTML"
    assert "parse_mode" not in second.params and second.params["text"] == "echo hi"


async def test_user_who_blocked_the_bot_is_marked_inactive(make: Any) -> None:
    h = await make(
        ScriptedHandler(lambda m: [OutgoingMessage("one", m.chat_id), OutgoingMessage("two", m.chat_id)])
    )
    h.api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await h.feed(p.private_text())
    assert h.users.calls == [("telegram", str(ANA), False)]
    assert len(h.api.of("sendMessage")) == 1  # the rest of the turn is dropped


async def test_blocked_membership_update_marks_the_user_inactive(make: Any) -> None:
    h = await make()
    await h.feed(p.blocked_by_user())
    assert h.users.calls == [("telegram", str(ANA), False)]
    assert h.handler.seen == []


async def test_streaming_sends_once_then_edits_throttled_and_finishes_in_place(
    make: Any,
) -> None:
    steps = [" ".join(["word"] * n) for n in range(1, 16)]
    h = await make(
        ScriptedHandler(
            lambda m: [OutgoingMessage(steps[-1] + " **done**", m.chat_id)],
            stream_steps=steps,
            step_delay=0.05,
        )
    )
    await h.feed(p.private_text())
    methods = [m for m in h.api.methods() if m != "sendChatAction"]
    assert methods[0] == "sendMessage" and set(methods[1:]) == {"editMessageText"}
    edits = h.api.of("editMessageText")
    assert edits[-1].params["text"] == steps[-1] + " <b>done</b>"
    msg_id = edits[-1].params["message_id"]
    assert all(e.params["message_id"] == msg_id for e in edits)
    # 15 updates over ~0.75 s with a 0.2 s interval: a handful of edits, not fifteen
    assert 2 <= len(edits) <= 6
    times = [c.at for c in h.api.calls if c.method in ("sendMessage", "editMessageText")]
    gaps = [b - a for a, b in itertools.pairwise(times)][:-1]  # final edit is free
    assert all(g >= 0.19 for g in gaps), gaps


async def test_messages_of_one_conversation_are_answered_in_order(make: Any) -> None:
    h = await make(ScriptedHandler(_echo, delay=0.02))
    await h.feed(*[p.private_text(update_id=i, message_id=100 + i, text=f"m{i}") for i in range(8)])
    texts = [c.params["text"] for c in h.api.of("sendMessage")]
    assert texts == [f"<b>echo</b> m{i}" for i in range(8)]


async def test_retry_after_delays_only_that_chat(make: Any) -> None:
    h = await make(ScriptedHandler(_echo, delay=0.0))
    h.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    other = p.private_text(update_id=2, message_id=50, text="other")
    other["message"]["chat"]["id"] = 333
    other["message"]["from"]["id"] = 333
    first = asyncio.create_task(h.feed(p.private_text(update_id=1, text="first")))
    await asyncio.sleep(0.1)
    await h.feed(other)  # another chat is not held back by the first chat's flood wait
    assert [c.params["chat_id"] for c in h.api.of("sendMessage")] == [ANA, 333]
    await first
    sends = h.api.of("sendMessage")
    assert [c.params["chat_id"] for c in sends] == [ANA, 333, ANA]
    assert sends[2].at - sends[0].at >= 1.0


def test_api_url_forms() -> None:
    assert api_base_urls(None) == (
        "https://api.telegram.org/bot",
        "https://api.telegram.org/file/bot",
    )
    assert api_base_urls("http://127.0.0.1:8081") == (
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/file/bot",
    )
    assert api_base_urls("http://h:1/bot/")[0] == "http://h:1/bot"
    assert api_base_urls("http://h:1/tg/bot{token}")[0] == "http://h:1/tg/bot{token}"
    with pytest.raises(ConfigError):
        api_base_urls("127.0.0.1:8081")


def test_bot_requests_go_to_base_url_plus_token_plus_method() -> None:
    bot = build_bot(p.TOKEN, "http://127.0.0.1:9/")
    assert bot.base_url == f"http://127.0.0.1:9/bot{p.TOKEN}"


def test_missing_token_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        build_bot("", None)


async def test_hostile_reply_text_is_sent_safely(make: Any) -> None:
    hostile = (
        "<b>not a tag</b> &amp; \u202eRTL\u202c zero\u200bwidth \x00 lone\ud800surrogate "
        "**unclosed `tick ```\n" + "😀 long line " * 9000
    )
    h = await make(ScriptedHandler(lambda m: [OutgoingMessage(hostile, m.chat_id)]))
    await h.feed(p.private_text())
    sends = h.api.of("sendMessage")
    assert len(sends) >= 20
    for call in sends:
        text = call.params["text"]
        text.encode("utf-8")  # no lone surrogate reached the wire
        assert "<b>not" not in text and "\x00" not in text
    assert sends[0].params["text"].startswith("&lt;b&gt;not a tag&lt;/b&gt; &amp;amp;")


async def test_real_updates_through_the_real_dialogue_manager(tmp_path: Path) -> None:
    """Private, group mention, unaddressed group message, reply to the bot, forum topic,
    sticker, edited message and a feedback button, through the real runtime (SQLite, instant
    model), with every Bot API call recorded."""
    from botcore.runtime import open_runtime

    api = FakeBotApi()
    request = RecordingRequest(api)
    bot = build_bot(
        p.TOKEN,
        request=request,
        get_updates_request=request,
        rate_limiter=ChatRateLimiter(per_chat_interval=0.0),
    )
    settings = make_settings(tmp_path, telegram_token=p.TOKEN)
    async with open_runtime(settings) as rt:
        adapter = TelegramAdapter(rt, bot=bot, outbox=False)
        await adapter.start()

        async def feed(payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
            api.calls.clear()
            update = Update.de_json(payload, bot)
            assert update is not None
            await adapter.submit(update)
            return [(c.method, c.params) for c in api.calls if c.method != "sendChatAction"]

        calls = await feed(p.private_text(update_id=1, text="hello there", message_id=10))
        assert [m for m, _ in calls] == ["sendMessage", "editMessageText"]
        assert calls[0][1]["text"] == "You said: hello there"
        feedback = calls[1][1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

        calls = await feed(p.group_mention(update_id=2, message_id=20))
        assert calls[0][1]["chat_id"] == GROUP
        assert calls[0][1]["text"] == "You said: what is photosynthesis?"
        assert calls[0][1]["reply_parameters"]["message_id"] == 20

        assert await feed(p.group_plain(update_id=3)) == []

        calls = await feed(p.group_reply_to_bot(update_id=4, message_id=21))
        assert calls[0][1]["text"] == "You said: Tell me more"

        calls = await feed(p.forum_topic_message(update_id=5, thread_id=30, message_id=31))
        assert all(params["message_thread_id"] == 30 for m, params in calls if m == "sendMessage")

        calls = await feed(p.sticker(update_id=6))
        assert [m for m, _ in calls] == ["sendMessage"]
        assert "only understand text" in calls[0][1]["text"]

        calls = await feed(p.edited(update_id=7, message_id=10, text="hello again"))
        assert calls[0][1]["text"] == "You said: hello again"

        calls = await feed(p.callback_query(update_id=8, data=feedback, query_id="cb-9"))
        assert calls[0] == ("answerCallbackQuery", {"callback_query_id": "cb-9"})
        assert [m for m, _ in calls[1:]] == ["sendMessage"]

        # the same update delivered twice is answered once
        assert await feed(p.private_text(update_id=1, text="hello there", message_id=10)) == []
        await bot.shutdown()
