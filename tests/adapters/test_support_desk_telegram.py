"""The support desk end to end on Telegram, against the fake Bot API over HTTP, with the real
runtime (SQLite, in-process memory, the instant model): the handoff loop through a staff group,
and ``/settings`` for group admins (``getChatMember`` answered by the fake)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.telegram import create_adapter
from adapters.telegram.adapter import TelegramAdapter
from botcore.faq import read_faq_file
from botcore.faq import store as faq_store
from botcore.handoff import staff_mark
from tests.adapters import telegram_payloads as p
from tests.adapters.fake_bot_api import FakeBotApi, FakeBotApiServer
from tests.conftest import make_settings

ANA = p.ANA["id"]
STAFF = p.GROUP_CHAT["id"]
KB = "id,question,answer\nhours,When are you open?,Mon-Sat 9-19.\n"


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApiServer]:
    srv = FakeBotApiServer(FakeBotApi())
    await srv.start()
    yield srv
    await srv.stop()


async def until(check: Callable[[], Any], within: float = 10.0) -> Any:
    deadline = time.monotonic() + within
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.01)
    return found


async def _serve(adapter: TelegramAdapter, body: Callable[[], Awaitable[None]]) -> None:
    task = asyncio.create_task(adapter.run())
    try:
        await body()
    finally:
        await adapter.stop()
        await asyncio.wait_for(task, 15)


def sent_to(api: FakeBotApi, chat: int) -> list[dict[str, Any]]:
    return [c.params for c in api.of("sendMessage") if int(c.params["chat_id"]) == chat]


def texts_to(api: FakeBotApi, chat: int) -> list[str]:
    """What a chat finally reads (a streamed message counts with its last edit)."""
    out: dict[int, str] = {}
    for c in api.calls:
        if c.method in {"sendMessage", "editMessageText"} and int(c.params["chat_id"]) == chat:
            key = c.params.get("message_id") or len(out) + 10**9
            out[key] = str(c.params.get("text", ""))
    return list(out.values())


def group_text(update_id: int, text: str, sender: dict[str, Any] = p.BEN,
               reply_to: dict[str, Any] | None = None, command: bool = False) -> dict[str, Any]:
    fields: dict[str, Any] = {"text": text}
    if reply_to is not None:
        fields["reply_to_message"] = reply_to
    if command:
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id,
            "message": p._message(500 + update_id, p.GROUP_CHAT, sender=sender, **fields)}


async def test_handoff_loop_through_a_staff_group(server: FakeBotApiServer, tmp_path: Path) -> None:
    api = server.api
    settings = make_settings(tmp_path, telegram_token=p.TOKEN, telegram_api_url=server.url,
                             staff_chat=f"telegram:{STAFF}")
    kb = tmp_path / "kb.csv"
    kb.write_text(KB)
    async with open_desk(settings, kb) as adapter:

        async def body() -> None:
            api.push_update(p.private_command(update_id=1, command="/mode faq", message_id=10))
            await until(lambda: len(texts_to(api, ANA)) == 1)
            asked = time.monotonic()
            api.push_update(p.private_text(update_id=2, text="Can I pay with seashells?",
                                           message_id=11))
            # staff notified in their group, with the question and a one-tap way to answer
            [notice] = await until(lambda: sent_to(api, STAFF))
            delay = next(c.at for c in api.of("sendMessage")
                         if int(c.params["chat_id"]) == STAFF) - asked
            assert delay < 2.0, f"staff notified after {delay:.2f}s"
            assert "Can I pay with seashells?" in notice["text"]
            esc_id = staff_mark(notice["text"])
            assert esc_id is not None and "Reply to this message" in notice["text"]
            assert "I don't know" in (await until(lambda: texts_to(api, ANA)[1:]))[0]

            # human mode: one acknowledgement, the message goes to staff, no new escalation
            api.push_update(p.private_text(update_id=3, text="hello??", message_id=12))
            await until(lambda: len(sent_to(api, STAFF)) == 2)
            await until(lambda: len(texts_to(api, ANA)) == 3)
            assert "colleague has your question" in texts_to(api, ANA)[2]
            assert staff_mark(sent_to(api, STAFF)[1]["text"]) == esc_id

            # a staff member replies to the notice in the group
            notice_msg = next(m for k, m in api.messages.items()
                              if k[0] == STAFF and staff_mark(m.get("text")) == esc_id)
            api.push_update(group_text(4, "Yes, seashells are fine.", reply_to=notice_msg))
            await until(lambda: "Yes, seashells are fine." in texts_to(api, ANA))
            confirm = await until(lambda: [t for t in texts_to(api, STAFF) if t.startswith("✅")])
            assert f"#{esc_id}" in confirm[0]

            # resolved: the bot answers again
            api.push_update(p.private_text(update_id=5, text="When are you open?", message_id=13))
            await until(lambda: texts_to(api, ANA)[-1] == "Mon-Sat 9-19.")

        await _serve(adapter, body)
    assert len([t for t in texts_to(api, ANA) if "colleague has your question" in t]) == 1


async def test_settings_need_a_group_admin(server: FakeBotApiServer, tmp_path: Path) -> None:
    api = server.api
    settings = make_settings(tmp_path, telegram_token=p.TOKEN, telegram_api_url=server.url)
    kb = tmp_path / "kb.csv"
    kb.write_text(KB)
    async with open_desk(settings, kb) as adapter:
        store = adapter.chat_settings
        assert store is not None

        async def body() -> None:
            api.push_update(group_text(1, "/settings skills faq", command=True))
            await until(lambda: texts_to(api, STAFF))
            assert "Only this group's admins" in texts_to(api, STAFF)[0]
            assert await store.get_chat_settings("telegram", str(STAFF)) == {}
            checks = [c.params for c in api.of("getChatMember")]
            assert checks == [{"chat_id": STAFF, "user_id": p.BEN["id"]}]

            api.members[(STAFF, p.BEN["id"])] = "administrator"
            api.push_update(group_text(2, "/settings skills faq", command=True))
            api.push_update(group_text(3, "/settings enabled on", command=True))
            await until(lambda: len(texts_to(api, STAFF)) == 3)
            assert await store.get_chat_settings("telegram", str(STAFF)) == {
                "skills": ["faq"], "enabled_channels": [str(STAFF)]}
            assert "skills: faq" in texts_to(api, STAFF)[2]

            # enabled: a plain group message is answered; skills: only from the knowledge base
            api.push_update(group_text(4, "write me a poem about the sea"))
            await until(lambda: len(texts_to(api, STAFF)) == 4)
            assert "I don't know" in texts_to(api, STAFF)[3]
            api.push_update(group_text(5, "/settings show", command=True))
            await until(lambda: len(texts_to(api, STAFF)) == 5)

            api.members[(STAFF, p.BEN["id"])] = "left"
            api.push_update(group_text(6, "/settings memory shared", command=True))
            await until(lambda: len(texts_to(api, STAFF)) == 6)
            assert "Only this group's admins" in texts_to(api, STAFF)[5]
            assert "memory_scope" not in await store.get_chat_settings("telegram", str(STAFF))

        await _serve(adapter, body)


class open_desk:
    """The runtime with a knowledge base, and its Telegram adapter."""

    def __init__(self, settings: Any, kb: Path) -> None:
        from botcore.runtime import open_runtime

        self._cm = open_runtime(settings)
        self.kb = kb

    async def __aenter__(self) -> TelegramAdapter:
        rt = await self._cm.__aenter__()
        await faq_store.upsert_entries(rt.long_term, read_faq_file(self.kb))
        rt.manager.faq.invalidate()
        return create_adapter(rt)

    async def __aexit__(self, *exc: object) -> None:
        await self._cm.__aexit__(*exc)
