"""The FAQ knowledge base: file formats, import/export, search with a threshold, and the FAQ
agent's honest "I don't know" that opens an escalation for a human."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from botcore.errors import InputError
from botcore.faq import read_faq_file, write_faq_file
from botcore.faq import store as faq_store
from botcore.memory import sql_models as m
from botcore.messages import IncomingMessage
from botcore.runtime import Runtime

CSV = """id,question,answer,tags,url
refund,How do I get a refund?,Refunds take 5 days. Use the returns form.,billing,https://shop.example/returns
refund,can I get my money back,Refunds take 5 days. Use the returns form.,billing,https://shop.example/returns
hours,When are you open?,Mon-Sat 9-19.,,
"""


def test_csv_rows_with_one_id_become_phrasings_of_one_entry(tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    path.write_text(CSV)
    recs = {r.id: r for r in read_faq_file(path)}
    assert recs["refund"].questions == ["How do I get a refund?", "can I get my money back"]
    assert recs["refund"].url == "https://shop.example/returns"
    out = tmp_path / "kb.jsonl"
    write_faq_file(out, recs.values())
    again = {r.id: r for r in read_faq_file(out)}
    assert again["refund"].questions == recs["refund"].questions
    assert json.loads(out.read_text().splitlines()[0])["id"] in recs


@pytest.mark.parametrize("content,error", [
    ("id,question\nx,y\n", "header must include id,question,answer"),
    ("id,question,answer\nx,y,one\nx,z,two\n", "two different answers"),
    ("id,question,answer\nx,,\n", "needs an answer"),
])
def test_bad_csv_is_refused_with_the_reason(tmp_path: Path, content: str, error: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=error):
        read_faq_file(path)


def test_bad_jsonl_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "questions": ["q"], "answer": "x"}\n{not json\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2: invalid JSON"):
        read_faq_file(path)


async def _load(runtime: Runtime, tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    path.write_text(CSV)
    await faq_store.upsert_entries(runtime.long_term, read_faq_file(path))
    runtime.manager.faq.invalidate()


async def test_a_known_question_is_answered_from_the_kb_with_its_source(
        runtime: Runtime, tmp_path: Path) -> None:
    await _load(runtime, tmp_path)
    user = uuid.uuid4().hex[:8]
    out = await runtime.manager.handle(IncomingMessage(
        platform="test", message_id="1", chat_id=user, user_id=user,
        text="How do I get a refund?"))
    assert out[0].skill == "faq"
    assert out[0].text == ("Refunds take 5 days. Use the returns form.\n\n"
                           "Source: https://shop.example/returns")


async def test_an_unknown_question_is_refused_and_escalated(
        runtime: Runtime, tmp_path: Path) -> None:
    await _load(runtime, tmp_path)
    user = uuid.uuid4().hex[:8]
    await runtime.manager.handle(IncomingMessage(platform="test", message_id="1", chat_id=user,
                                                 user_id=user, text="/mode faq"))
    out = await runtime.manager.handle(IncomingMessage(
        platform="test", message_id="2", chat_id=user, user_id=user,
        text="Do you sell garden gnomes with lasers?"))
    assert "I don't know" in out[0].text and "human" in out[0].text
    async with runtime.long_term.session() as s:
        rows = (await s.execute(select(m.Escalation).where(
            m.Escalation.question == "Do you sell garden gnomes with lasers?"))).scalars().all()
    assert len(rows) == 1 and rows[0].status == "open"


async def test_reimport_replaces_phrasings(runtime: Runtime, tmp_path: Path) -> None:
    await _load(runtime, tmp_path)
    path = tmp_path / "kb2.jsonl"
    path.write_text('{"id": "hours", "questions": ["opening times?"], "answer": "Always."}\n')
    await faq_store.upsert_entries(runtime.long_term, read_faq_file(path))
    runtime.manager.faq.invalidate()
    entries = {e.id: e for e in await faq_store.all_entries(runtime.long_term)}
    assert entries["hours"].questions == ["opening times?"] and entries["hours"].answer == "Always."
    hit = await runtime.manager.faq.search("opening times?")
    assert hit.id == "hours"
    assert (await runtime.manager.faq.search("When are you open?")).id is None
