"""Handoff to a human through the dialogue manager (instant model; SQLite and Postgres + Redis):
staff notified through the outbox, human mode (one acknowledgement, messages attached, no
duplicate escalations), a staff reply reaching the user and handing back, the timeout, and the
skills a deployment or a chat allows (FAQ-only never generates)."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from botcore.admin import models as am
from botcore.config import Settings
from botcore.faq import read_faq_file
from botcore.faq import store as faq_store
from botcore.handoff import staff_mark, wants_human
from botcore.memory import sql_models as m
from botcore.messages import ChatType, IncomingMessage
from botcore.runtime import Runtime, open_runtime

STAFF = "-100777"
CSV = """id,question,answer
refund,How do I get a refund?,Refunds take 5 days.
hours,When are you open?,Mon-Sat 9-19.
"""
_ids = itertools.count(1)


@pytest.fixture
async def desk(bot_settings: Settings, tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = bot_settings.model_copy(update={"staff_chat": f"telegram:{STAFF}",
                                               "handoff_timeout_s": 3600.0})
    async with open_runtime(settings) as rt:
        path = tmp_path / "kb.csv"
        path.write_text(CSV)
        await faq_store.upsert_entries(rt.long_term, read_faq_file(path))
        rt.manager.faq.invalidate()
        yield rt


def said(user: str, text: str, **kw: object) -> IncomingMessage:
    return IncomingMessage(platform="test", message_id=str(next(_ids)), chat_id=user,
                           user_id=user, text=text, **kw)  # type: ignore[arg-type]


def staff_says(text: str, reply_to: str | None) -> IncomingMessage:
    return IncomingMessage(platform="telegram", message_id=str(next(_ids)), chat_id=STAFF,
                           user_id="900", user_name="Sam", text=text, chat_type=ChatType.GROUP,
                           reply_to_text=reply_to)


async def deliveries(rt: Runtime, *esc_ids: int,
                     kind: str = "handoff") -> list[tuple[am.Delivery, str]]:
    """Outbox messages about these escalations (the Postgres database is shared by tests)."""
    async with rt.long_term.session() as s:
        rows = (await s.execute(select(am.Delivery, am.Broadcast.text, am.Broadcast.audience)
                                .join(am.Broadcast, am.Broadcast.id == am.Delivery.broadcast_id)
                                .where(am.Broadcast.kind == kind)
                                .order_by(am.Delivery.id))).tuples().all()
    return [(d, text) for d, text, audience in rows
            if any(audience.startswith(f"escalation #{i} ") or audience == f"escalation #{i}"
                   for i in esc_ids)]
    return list(rows)


async def escalations(rt: Runtime, user: str) -> list[m.Escalation]:
    async with rt.long_term.session() as s:
        return list((await s.execute(
            select(m.Escalation).join(m.Identity, m.Identity.user_id == m.Escalation.user_id)
            .where(m.Identity.platform_user_id == user).order_by(m.Escalation.id))).scalars())


async def test_the_handoff_loop(desk: Runtime) -> None:
    mgr, user = desk.manager, uuid.uuid4().hex[:8]
    await mgr.handle(said(user, "/mode faq"))
    [refusal] = await mgr.handle(said(user, "Do you ship garden gnomes to Mars?"))
    assert "I don't know" in refusal.text
    [esc] = await escalations(desk, user)
    assert esc.reason == "faq" and esc.notified_at is not None
    [(notice, text)] = await deliveries(desk, esc.id)
    assert (notice.platform, notice.chat_id) == ("telegram", STAFF)
    assert staff_mark(text) == esc.id
    assert "Do you ship garden gnomes to Mars?" in text and "user: /mode faq" not in text
    assert f"/resolve {esc.id}" in text and "Reply to this message" in text

    # human mode: one acknowledgement, then silence; everything attached to the same escalation
    [ack] = await mgr.handle(said(user, "Hello? Also to Venus?"))
    assert "colleague has your question" in ack.text
    assert await mgr.handle(said(user, "When are you open?")) == []
    [esc] = await escalations(desk, user)
    assert esc.followups == 2 and esc.status == "open"
    forwarded = [t for _, t in await deliveries(desk, esc.id)][1:]
    assert [staff_mark(t) for t in forwarded] == [esc.id, esc.id]
    assert "Also to Venus?" in forwarded[0] and "When are you open?" in forwarded[1]

    # a staff member replies to the notice
    [done] = await mgr.handle(staff_says("Yes: 6-8 weeks by rocket.", reply_to=text))
    assert done.text.startswith("✅") and f"#{esc.id}" in done.text
    [(to_user, answer)] = await deliveries(desk, esc.id, kind="escalation")
    assert (to_user.platform, to_user.chat_id, answer) == ("test", user, "Yes: 6-8 weeks by rocket.")
    [esc] = await escalations(desk, user)
    assert esc.status == "resolved" and esc.first_reply_at is not None

    # the bot answers again
    [again] = await mgr.handle(said(user, "When are you open?"))
    assert again.text == "Mon-Sat 9-19." and again.skill == "faq"
    assert len(await escalations(desk, user)) == 1


async def test_asking_for_a_human_in_chinese(desk: Runtime) -> None:
    mgr, user = desk.manager, uuid.uuid4().hex[:8]
    [reply] = await mgr.handle(said(user, "转人工"))
    assert "同事" in reply.text
    [esc] = await escalations(desk, user)
    assert esc.reason == "user"
    [(_, text)] = await deliveries(desk, esc.id)
    assert text.startswith(f"🔔 #{esc.id}") and "问题" in text


async def test_only_staff_can_reply_or_resolve(desk: Runtime) -> None:
    mgr, user = desk.manager, uuid.uuid4().hex[:8]
    await mgr.handle(said(user, "I want to talk to a human"))
    [esc] = await escalations(desk, user)
    intruder = uuid.uuid4().hex[:8]
    [no] = await mgr.handle(said(intruder, f"/resolve {esc.id}"))
    assert "Only staff" in no.text
    out = await mgr.handle(said(intruder, "fake answer", reply_to_text=f"🔔 #{esc.id} x"))
    assert all("✅" not in o.text for o in out)
    [esc] = await escalations(desk, user)
    assert esc.status == "open"
    [ok] = await mgr.handle(staff_says(f"/resolve {esc.id}", None))
    assert "resolved" in ok.text
    [back] = await mgr.handle(said(user, "hello again"))
    assert back.text == "You said: hello again"


async def test_timeout_hands_back_with_an_apology(desk: Runtime) -> None:
    mgr, user, other = desk.manager, uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
    mgr.settings = mgr.settings.model_copy(update={"handoff_timeout_s": 1.0})
    await mgr.handle(said(user, "human please"))
    await mgr.handle(said(other, "human please"))
    await asyncio.sleep(1.1)
    # the sweep (also running in the background) closes what nobody answered, tells the user
    await mgr.handoff.sweep(force=True)
    ids = [e.id for u in (user, other) for e in await escalations(desk, u)]
    apologies = [(d.chat_id, t) for d, t in await deliveries(desk, *ids) if d.platform == "test"]
    assert sorted(c for c, _ in apologies) == sorted([user, other])
    assert all("Sorry" in t for _, t in apologies)
    [back] = await mgr.handle(said(user, "hello"))
    assert back.text == "You said: hello"
    assert [e.status for e in await escalations(desk, user)] == ["expired"]
    assert len(apologies) == 2  # once each, however many sweeps ran


async def test_without_staff_the_escalation_is_only_listed(bot_settings: Settings) -> None:
    async with open_runtime(bot_settings) as rt:
        mgr, user = rt.manager, uuid.uuid4().hex[:8]
        await mgr.handle(said(user, "/mode faq"))
        await mgr.handle(said(user, "Do you sell lasers?"))
        [second] = await mgr.handle(said(user, "Do you sell lasers at all?"))
        assert "I don't know" in second.text  # no human mode: the bot keeps answering
        [esc] = await escalations(rt, user)  # ...but no duplicate escalation
        assert esc.followups == 1 and esc.notified_at is None
        assert await deliveries(rt, esc.id) == []


async def test_faq_only_never_generates(bot_settings: Settings, tmp_path: Path) -> None:
    settings = bot_settings.model_copy(update={"skills": "faq"})
    async with open_runtime(settings) as rt:
        path = tmp_path / "kb.csv"
        path.write_text(CSV)
        await faq_store.upsert_entries(rt.long_term, read_faq_file(path))
        rt.manager.faq.invalidate()
        user = uuid.uuid4().hex[:8]
        [poem] = await rt.manager.handle(said(user, "Write a poem about the sea"))
        assert poem.skill == "faq" and "I don't know" in poem.text and "You said" not in poem.text
        [mode] = await rt.manager.handle(said(user, "/mode assistant"))
        assert "turned off" in mode.text
        [known] = await rt.manager.handle(said(user, "How do I get a refund?"))
        assert known.text == "Refunds take 5 days."


async def test_default_skill_and_per_chat_skills(bot_settings: Settings) -> None:
    settings = bot_settings.model_copy(update={"default_skill": "tutor"})
    async with open_runtime(settings) as rt:
        user = uuid.uuid4().hex[:8]
        [out] = await rt.manager.handle(said(user, "hello there"))
        assert out.skill == "tutor"
        group = uuid.uuid4().hex[:8]
        await rt.long_term.set_chat_settings("test", group, {"skills": ["faq"]})
        [faq] = await rt.manager.handle(IncomingMessage(
            platform="test", message_id="g1", chat_id=group, user_id=user, text="hello there",
            chat_type=ChatType.GROUP))
        assert faq.skill == "faq" and "I don't know" in faq.text


@pytest.mark.parametrize("text,expected", [
    ("human", True), ("Human please!", True), ("I want to talk to a human", True),
    ("can I speak with an agent?", True), ("connect me to a real person", True),
    ("转人工", True), ("我要人工客服", True), ("人工", True),
    ("what is the human body made of?", False), ("explain how a travel agent works", False),
    ("how do I get a refund?", False), ("人工智能是什么", False),
])
def test_wants_human(text: str, expected: bool) -> None:
    assert wants_human(text) is expected
