"""Regression tests for the privacy audit (#12, items 1-4, 9, 11, 13), through the dialogue
manager on the embedded backends and on Postgres + Redis."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from botcore.admin import models as am
from botcore.admin.broadcast import enqueue_direct
from botcore.config import Settings
from botcore.inference.payloads import GenerateRequest, GenerateResult
from botcore.memory import identity
from botcore.memory import sql_models as m
from botcore.messages import ChatType, IncomingMessage, OutgoingMessage
from botcore.runtime import Runtime, open_runtime
from workers.instant import InstantExecutor

CODE = re.compile(r"code is ([0-9A-Z]{6,8})\b")


def say(platform: str, user: str, text: str, *, chat: str | None = None,
        group: bool = False, **kw: Any) -> IncomingMessage:
    return IncomingMessage(platform=platform, message_id=uuid.uuid4().hex, chat_id=chat or user,
                           user_id=user, text=text,
                           chat_type=ChatType.GROUP if group else ChatType.PRIVATE, **kw)


async def ask(rt: Runtime, *args: Any, **kw: Any) -> OutgoingMessage:
    out = await rt.manager.handle(say(*args, **kw))
    assert len(out) == 1, out
    return out[0]


def uid() -> str:
    return uuid.uuid4().hex[:10]


async def offer(rt: Runtime, platform: str, user: str) -> str:
    reply = await ask(rt, platform, user, "/link")
    found = CODE.search(reply.text)
    assert found, reply.text
    return found.group(1)


# 1. /link ----------------------------------------------------------------------------------------

async def test_link_codes_are_8_unambiguous_symbols_and_only_offered_in_private(
        runtime: Runtime) -> None:
    tg = uid()
    codes = {await offer(runtime, "telegram", tg) for _ in range(5)}
    assert len(codes) == 5
    assert all(set(c) <= set(identity.ALPHABET) and len(c) == 8 for c in codes)
    assert len(identity.ALPHABET) == 32 and not set("ILOU") & set(identity.ALPHABET)
    in_group = await ask(runtime, "telegram", tg, "/link", chat="-100", group=True)
    assert "private chat" in in_group.text and not CODE.search(in_group.text)
    assert in_group.private is None  # the refusal itself is public, the code never is


async def test_a_code_works_once_and_a_new_code_revokes_the_previous(runtime: Runtime) -> None:
    tg, dc, dc2 = uid(), uid(), uid()
    first = await offer(runtime, "telegram", tg)
    second = await offer(runtime, "telegram", tg)
    assert "unknown or expired" in (await ask(runtime, "discord", dc, f"/link {first}")).text
    assert "Linked!" in (await ask(runtime, "discord", dc, f"/link {second.lower()}")).text
    assert "unknown or expired" in (await ask(runtime, "discord", dc2, f"/link {second}")).text


async def test_a_code_expires_after_600_s_even_if_the_store_still_has_it(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    tg, dc = uid(), uid()
    code = await offer(runtime, "telegram", tg)
    later = time.time() + identity.CODE_TTL_S + 1
    monkeypatch.setattr(identity.time, "time", lambda: later)
    assert "unknown or expired" in (await ask(runtime, "discord", dc, f"/link {code}")).text


async def test_five_wrong_codes_lock_the_account_even_for_the_right_code(runtime: Runtime) -> None:
    tg, attacker = uid(), uid()
    code = await offer(runtime, "telegram", tg)
    for guess in ["AAAAAAAA", "BBBBBBBB", "12345678", "short", "ZZZZZZZZ"]:
        out = await ask(runtime, "discord", attacker, f"/link {guess}")
        assert "unknown or expired" in out.text
    locked = await ask(runtime, "discord", attacker, f"/link {code}")
    assert "paused" in locked.text
    assert await runtime.long_term.export_user("discord", attacker) == {"user": None} or \
        f"telegram:{tg}" not in json.dumps(await runtime.long_term.export_user("discord", attacker))


async def test_a_code_posted_in_a_group_is_burnt(runtime: Runtime) -> None:
    tg, dc = uid(), uid()
    code = await offer(runtime, "telegram", tg)
    await ask(runtime, "telegram", tg, f"/link {code}", chat="-100", group=True)
    assert "unknown or expired" in (await ask(runtime, "discord", dc, f"/link {code}")).text


async def test_the_owner_is_told_on_their_platform_and_unlink_undoes_the_link(
        runtime: Runtime) -> None:
    tg, dc = uid(), uid()
    await ask(runtime, "telegram", tg, "Hi, I'm Dana. I have a dog named Rex.")
    await runtime.manager.aclose()
    await ask(runtime, "discord", dc, "I love chess")
    await runtime.manager.aclose()
    code = await offer(runtime, "telegram", tg)
    assert f"telegram:{tg}" in (await ask(runtime, "discord", dc, f"/link {code}")).text
    async with runtime.long_term.session() as s:
        rows = (await s.execute(
            select(am.Delivery.platform, am.Delivery.platform_user_id, am.Delivery.chat_id,
                   am.Broadcast.text).join(am.Broadcast)
            .where(am.Broadcast.kind == "notice"))).all()
    notices = [r for r in rows if r[1] == tg]
    assert len(notices) == 1 and notices[0][0] == "telegram" and notices[0][2] is None
    assert f"discord:{dc}" in notices[0][3] and "/unlink" in notices[0][3]
    assert "Dana" in (await ask(runtime, "discord", dc, "/memory")).text
    undone = await ask(runtime, "telegram", tg, "/unlink")
    assert f"discord:{dc}" in undone.text
    after = await ask(runtime, "discord", dc, "/memory")
    assert "Dana" not in after.text and "Rex" not in after.text and "chess" in after.text
    exported = json.dumps(await runtime.long_term.export_user("discord", dc))
    assert "Dana" not in exported and "Rex" not in exported
    assert "Dana" in (await ask(runtime, "telegram", tg, "/memory")).text


# 2. facts by scope, private answers --------------------------------------------------------------

class RecordingExecutor(InstantExecutor):
    """The instant model, keeping every prompt it was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.prompts: list[str] = []

    async def generate(self, request: GenerateRequest, on_delta: Any = None) -> GenerateResult:
        self.prompts.append("\n".join(t.content for t in request.messages))
        return await super().generate(request, on_delta)


async def test_private_facts_stay_out_of_groups_and_group_facts_stay_in_their_group(
        bot_settings: Settings) -> None:
    executor = RecordingExecutor()
    user = uid()

    async def seen(rt: Runtime, text: str, **kw: Any) -> str:
        """The reply and every prompt the model got for it."""
        before = len(executor.prompts)
        reply = await ask(rt, "test", user, text, **kw)
        return "\n".join([reply.text, *executor.prompts[before:]])

    async with open_runtime(bot_settings, executor=executor) as rt:
        await ask(rt, "test", user, "I have an appointment at the clinic on Friday")
        await rt.manager.aclose()
        await ask(rt, "test", user, "I love sailing boats", chat="g1", group=True)
        await rt.manager.aclose()
        await ask(rt, "test", user, "/mode companion", chat="g1", group=True)
        await ask(rt, "test", user, "/mode companion", chat="g2", group=True)
        await ask(rt, "test", user, "/mode companion")
        g1 = await seen(rt, "what do you remember about me? tell me about my week", chat="g1",
                        group=True)
        g2 = await seen(rt, "what do you remember about me? tell me about my week", chat="g2",
                        group=True)
        private = await seen(rt, "what do you remember about me? tell me about my week")
    assert "clinic" not in g1 and "sailing" in g1
    assert "clinic" not in g2 and "sailing" not in g2
    assert "clinic" in private and "sailing" not in private


@pytest.mark.parametrize("command", ["/memory", "/export", "/forget", "/link 23456789"])
async def test_private_commands_asked_in_a_group_are_addressed_privately(
        runtime: Runtime, command: str) -> None:
    user = uid()
    await ask(runtime, "telegram", user, "I love secret gardens", chat="-5", group=True)
    await runtime.manager.aclose()
    out = await ask(runtime, "telegram", user, command, chat="-5", group=True)
    if command.startswith("/link"):
        assert out.private is None and "private chat" in out.text
        return
    assert out.private is not None and out.private.user_id == user
    assert "privately" in out.private.sent_notice and out.private.refusal


# 3. and 4. /forget completeness --------------------------------------------------------------------

async def test_forget_erases_shared_group_messages_and_escalation_answers(runtime: Runtime) -> None:
    group, a, b = f"g{uid()}", uid(), uid()
    marker = f"okapi{uid()}"
    await runtime.long_term.set_chat_settings("test", group, {"memory_scope": "shared"})
    await ask(runtime, "test", a, f"my favourite animal is the {marker}", chat=group, group=True)
    await ask(runtime, "test", b, "hello everyone", chat=group, group=True)
    await runtime.manager.aclose()
    user = await runtime.long_term.get_user("test", a)
    assert user is not None
    await enqueue_direct(runtime.long_term, user_id=user.id, platform="test",
                         platform_user_id=a, chat_id=group, thread_id=None,
                         text=f"A human answer about the {marker}", actor="cli:admin")
    ask_ = await ask(runtime, "test", a, "/forget")
    done = await ask(runtime, "test", a, "", callback_data=ask_.buttons[0][0].data)
    assert "erased" in done.text
    async with runtime.long_term.engine.connect() as conn:
        for table in m.Base.metadata.sorted_tables:
            rows = (await conn.execute(table.select())).all()
            assert not [r for r in rows if marker in repr(r)], f"{table.name} kept {marker}"
    turns = await runtime.manager.session.history(say("test", b, "x", chat=group, group=True)
                                           .conversation_key(shared_group_memory=True))
    assert not any(marker in t.text for t in turns)
    assert any("hello everyone" in t.text for t in turns)


async def test_forget_erases_the_short_term_memory_of_every_linked_identity(
        runtime: Runtime) -> None:
    tg, dc = uid(), uid()
    marker = f"tapir{uid()}"
    await ask(runtime, "discord", dc, f"my password hint is {marker}")
    code = await offer(runtime, "telegram", tg)
    await ask(runtime, "discord", dc, f"/link {code}")
    confirm = await ask(runtime, "telegram", tg, "/forget")
    await ask(runtime, "telegram", tg, "", callback_data=confirm.buttons[0][0].data)
    key = say("discord", dc, "x").conversation_key()
    assert await runtime.short_term.recent_turns(key, 50) is None
    again = await ask(runtime, "discord", dc, "what did I tell you?")
    assert marker not in again.text
    assert marker not in json.dumps(await runtime.long_term.export_user("discord", dc))


# 9. buttons -----------------------------------------------------------------------------------------

async def test_forget_buttons_work_only_for_the_requester_and_expire(
        runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    group, a, b = "-77", uid(), uid()
    await ask(runtime, "telegram", a, "I love mangoes")
    await ask(runtime, "telegram", b, "I love kiwis")
    confirm = await ask(runtime, "telegram", a, "/forget", chat=group, group=True)
    yes = confirm.buttons[0][0].data
    refused = await ask(runtime, "telegram", b, "", chat=group, group=True, callback_data=yes)
    assert "someone else" in refused.text
    assert await runtime.long_term.get_user("telegram", b) is not None
    assert await runtime.long_term.get_user("telegram", a) is not None
    old = await ask(runtime, "telegram", a, "", callback_data="forget:yes")
    assert "expired" in old.text
    later = time.time() + 601
    monkeypatch.setattr("botcore.dialogue.commands.time.time", lambda: later)
    expired = await ask(runtime, "telegram", a, "", callback_data=yes)
    assert "expired" in expired.text
    assert await runtime.long_term.get_user("telegram", a) is not None


async def test_a_blocked_user_cannot_press_buttons(runtime: Runtime) -> None:
    user = uid()
    answer = await ask(runtime, "test", user, "rate me")
    await runtime.long_term.set_user_flags("test", user, blocked=True)
    runtime.manager.forget_caches()
    pressed = await ask(runtime, "test", user, "", callback_data=answer.buttons[0][0].data)
    assert "paused" in pressed.text
    me = await runtime.long_term.get_user("test", user)
    assert me is not None
    async with runtime.long_term.session() as s:
        rows = (await s.execute(select(m.Feedback))).scalars().all()
    assert all(f.user_id != me.id for f in rows)


# 11. and 13. feedback ---------------------------------------------------------------------------------

async def test_feedback_works_in_a_shared_memory_group(runtime: Runtime) -> None:
    group, a, b = f"g{uid()}", uid(), uid()
    await runtime.long_term.set_chat_settings("test", group, {"memory_scope": "shared"})
    answer = await ask(runtime, "test", a, "hello bot", chat=group, group=True)
    up = answer.buttons[0][0].data
    assert (await ask(runtime, "test", a, "", chat=group, group=True, callback_data=up)).text \
        == "Thanks for the feedback!"
    assert (await ask(runtime, "test", b, "", chat=group, group=True, callback_data=up)).text \
        == "I couldn't record that feedback."


@pytest.mark.parametrize("data", ["fb:1:99999999999999", "fb:1:2147483648", "fb:2:1", "fb:1:0",
                                  "fb:1:-5", "fb:1:１２"])
async def test_forged_feedback_ids_are_refused_without_a_storage_error(
        runtime: Runtime, data: str, caplog: pytest.LogCaptureFixture) -> None:
    out = await ask(runtime, "test", uid(), "", callback_data=data)
    assert out.text == "I couldn't record that feedback."
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_sql_errors_never_carry_statement_parameters(tmp_path: Path) -> None:
    from botcore.memory.sql_engine import make_engine

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    assert engine.sync_engine.hide_parameters


async def test_forget_erases_the_staff_notices_that_quote_the_user(bot_settings: Settings) -> None:
    """A handoff notice to the staff chat quotes the user's question; /forget removes it."""
    from botcore.faq import store as faq_store
    from botcore.faq.formats import FaqRecord

    settings = bot_settings.model_copy(update={"staff_chat": "telegram:-100777"})
    user, marker = uid(), f"narwhal{uid()}"
    async with open_runtime(settings) as rt:
        await faq_store.upsert_entries(rt.long_term, [FaqRecord(
            "hours", "Mon-Sat 9-19.", ["When are you open?"])])
        rt.manager.faq.invalidate()
        await ask(rt, "test", user, "/mode faq")
        await ask(rt, "test", user, f"Do you ship {marker} plushies to Mars?")
        async with rt.long_term.session() as s:
            quoted = (await s.execute(select(am.Broadcast.text)
                                      .where(am.Broadcast.text.contains(marker)))).all()
        assert quoted, "the staff was notified with the question"
        confirm = await ask(rt, "test", user, "/forget")
        await ask(rt, "test", user, "", callback_data=confirm.buttons[0][0].data)
        async with rt.long_term.engine.connect() as conn:
            for table in m.Base.metadata.sorted_tables:
                rows = (await conn.execute(table.select())).all()
                assert not [r for r in rows if marker in repr(r)], f"{table.name} kept it"
