"""The learning loop on real SQL (SQLite and Postgres): consented 👍 become labelled training
examples, users without consent are never read; and the scheduled retention purge, audited."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from botcore.admin.retention import ACTION, ACTOR, purge_once
from botcore.faq import store as faq_store
from botcore.faq.formats import FaqRecord
from botcore.memory import sql_models as m
from botcore.messages import IncomingMessage, OutgoingMessage
from botcore.runtime import Runtime, open_runtime
from workers.training.feedback import collect_feedback


async def say(rt: Runtime, user: str, text: str, **kw: object) -> OutgoingMessage:
    out = await rt.manager.handle(IncomingMessage(
        platform="test", message_id=uuid.uuid4().hex, chat_id=user, user_id=user, text=text,
        **kw))  # type: ignore[arg-type]
    return out[-1]


async def rate(rt: Runtime, user: str, reply: OutgoingMessage, up: bool) -> None:
    button = reply.buttons[0][0 if up else 1]
    done = await say(rt, user, "", callback_data=button.data)
    assert done.text == "Thanks for the feedback!"


async def test_consented_thumbs_up_become_examples_and_others_are_never_read(
        runtime: Runtime) -> None:
    ana, bob = f"ana-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    await faq_store.upsert_entries(runtime.long_term, [FaqRecord(
        "shipping", "2–4 working days.", ["how long does shipping take?"])])
    runtime.manager.faq.invalidate()
    await say(runtime, ana, "/consent on")
    tutor = await say(runtime, ana, "Can you calculate 15% of 240? Mail me at ana@example.com")
    assert tutor.skill == "tutor"
    await rate(runtime, ana, tutor, up=True)
    faq = await say(runtime, ana, "how long does shipping take?")
    assert faq.skill == "faq"
    await rate(runtime, ana, faq, up=True)
    chat = await say(runtime, ana, "hello, I feel happy today")
    await rate(runtime, ana, chat, up=False)
    secret = f"bob-secret-{uuid.uuid4().hex[:8]}"
    bobs = await say(runtime, bob, f"Please calculate 2+2, {secret}")
    await rate(runtime, bob, bobs, up=True)

    examples, report = await collect_feedback(runtime.long_term)
    mine = [e for e in examples if "15%" in e.text or "shipping" in e.text]
    texts = {e.text: e for e in mine}
    assert texts["Can you calculate 15% of 240? Mail me at <email>"].skill == "tutor"
    assert texts["how long does shipping take?"].group == "deployer:shipping"
    assert all(not e.holdout and e.source == "feedback" for e in examples)
    assert secret not in json.dumps([e.text for e in examples]) + json.dumps(report.as_dict())
    assert report.consenting_users >= 1 and report.thumbs_down_unused >= 1
    assert report.feedback_without_consent >= 1
    assert report.by_skill.get("tutor", 0) >= 1 and report.by_skill.get("faq", 0) >= 1
    assert report.by_platform.get("test", 0) == report.examples == len(examples)

    await say(runtime, ana, "/consent off")
    again, later = await collect_feedback(runtime.long_term)
    assert not any("15%" in e.text or "shipping" in e.text for e in again)
    assert later.feedback_without_consent >= report.feedback_without_consent + 2


async def test_feedback_examples_join_the_train_split_only() -> None:
    from workers.training.config import load_config
    from workers.training.data import build_dataset
    from workers.training.examples import Example

    extra = [Example("zz feedback: can you quiz me on fractions please", skill="tutor",
                     source="feedback", holdout=True)]
    data = build_dataset(load_config(None), extra=extra)
    assert any(e.text == extra[0].text and e.skill == "tutor" for e in data.train)
    assert not any(e.text == extra[0].text for e in data.val + data.test)


async def test_retention_purges_old_data_once_per_round_and_audits_it(runtime: Runtime) -> None:
    user = f"old-{uuid.uuid4().hex[:6]}"
    await say(runtime, user, "an old message that should go")
    old = datetime.now(UTC) - timedelta(days=40)
    async with runtime.long_term.session() as s:
        await s.execute(update(m.Message).values(created_at=old))
    await runtime.short_term.set_claim("retention:round", "x", 0.001)  # a fresh round
    await asyncio.sleep(0.01)
    plan = await purge_once(runtime.long_term, runtime.short_term, 30, interval_s=3600)
    assert plan is not None and plan.messages >= 2
    assert await purge_once(runtime.long_term, runtime.short_term, 30, interval_s=3600) is None
    async with runtime.long_term.session() as s:
        rows = (await s.execute(select(m.AuditLog).where(m.AuditLog.action == ACTION))
                ).scalars().all()
    assert rows and rows[-1].actor == ACTOR and rows[-1].details["messages"] >= 2  # type: ignore[index]


async def test_a_long_running_process_schedules_the_purge(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(update={"retention_days": 30.0,
                                                   "retention_interval_s": 1.0})
    await runtime.short_term.set_claim("retention:round", "x", 0.001)
    await asyncio.sleep(0.01)
    async with open_runtime(settings, executor=runtime.executor, background=True) as rt:
        for _ in range(100):  # hang guard only: the first round starts at once
            async with rt.long_term.session() as s:
                found = (await s.execute(select(m.AuditLog.id).where(
                    m.AuditLog.action == ACTION))).first()
            if found:
                break
            await asyncio.sleep(0.1)
        assert found
