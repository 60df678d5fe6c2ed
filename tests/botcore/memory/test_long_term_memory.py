"""Long-term memory through real turns: facts across restarts, recall, summaries, /forget leaves
no trace, /export round-trips, /link joins accounts. Embedded backends and Redis + Postgres."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import text

from botcore.config import Settings
from botcore.memory import sql_models as m
from botcore.messages import IncomingMessage
from botcore.runtime import Runtime, open_runtime


def say(user: str, text_: str, **kw: object) -> IncomingMessage:
    return IncomingMessage(platform="test", message_id=uuid.uuid4().hex, chat_id=user,
                           user_id=user, text=text_, **kw)  # type: ignore[arg-type]


async def settle(rt: Runtime) -> None:
    await rt.manager.aclose()


async def test_facts_survive_a_restart_of_the_bot_process(bot_settings: Settings) -> None:
    user = uuid.uuid4().hex[:8]
    async with open_runtime(bot_settings) as rt:
        await rt.manager.handle(say(user, "Hi, I'm Ana. I have a dog named Max."))
        await settle(rt)
    async with open_runtime(bot_settings) as rt:  # a new process: empty caches
        out = await rt.manager.handle(say(user, "/memory"))
        assert "Their name is Ana." in out[0].text and "dog named Max" in out[0].text
        facts = await rt.long_term.facts_for_recall("test", user)
        assert all(vec is not None for _, vec in facts)  # embedded by the shared model


async def test_the_relevant_fact_is_recalled_among_many(runtime: Runtime) -> None:
    from botcore.memory.recall import rank_facts

    user = uuid.uuid4().hex[:8]
    for line in ["I love jazz music", "I like hiking in the mountains", "I love sushi",
                 "I have an exam on Friday", "I have a cat named Luna", "I enjoy chess puzzles",
                 "I like rainy days", "I love painting with watercolors"]:
        await runtime.manager.handle(say(user, line))
    await settle(runtime)
    query = (await runtime.executor.embed(["how is Luna the cat doing"]))[0]
    facts = await runtime.long_term.facts_for_recall("test", user)
    top = rank_facts(query, facts, k=1)
    assert top == ["They have a cat named Luna."]


async def test_old_turns_are_summarized_into_the_prompt(runtime: Runtime) -> None:
    runtime.settings.recent_turns = 2
    user = uuid.uuid4().hex[:8]
    for i in range(6):
        await runtime.manager.handle(say(user, f"Topic number {i} is interesting. More."))
        await settle(runtime)
    summary = await runtime.long_term.latest_summary(say(user, "x").conversation_key())
    assert summary is not None
    assert "Topic number 0 is interesting." in summary[0]
    assert "More." not in summary[0]


async def test_export_round_trips_what_the_user_said(runtime: Runtime) -> None:
    user = uuid.uuid4().hex[:8]
    await runtime.manager.handle(say(user, "Hi, I'm Bea and I love tea"))
    await settle(runtime)
    out = await runtime.manager.handle(say(user, "/export"))
    data = json.loads(out[0].file.content)  # type: ignore[union-attr]
    assert data["user_ref"] == f"test:{user}" and data["format"] == "botcore-export/1"
    assert [msg["text"] for msg in data["messages"] if msg["role"] == "user"] == \
        ["Hi, I'm Bea and I love tea"]
    assert {f["text"] for f in data["facts"]} == {"Their name is Bea.", "They like tea."}
    assert data == await _export_again(runtime, user)


async def _export_again(runtime: Runtime, user: str) -> dict[str, object]:
    return {"format": "botcore-export/1", "user_ref": f"test:{user}",
            **await runtime.long_term.export_user("test", user)}


async def test_forget_leaves_no_trace_in_any_table_key_or_file(runtime: Runtime) -> None:
    user = uuid.uuid4().hex[:8]
    marker = f"zebra{uuid.uuid4().hex[:10]}"
    other = uuid.uuid4().hex[:8]
    await runtime.manager.handle(say(other, f"I like {marker}s too"))  # someone else's data stays
    for line in [f"Hi, I'm Cleo and I love {marker}", f"my secret word is {marker}", "/mode tutor"]:
        await runtime.manager.handle(say(user, line))
    await settle(runtime)
    ask = await runtime.manager.handle(say(user, "/forget"))
    await runtime.manager.handle(say(user, "", callback_data=ask[0].buttons[0][0].data))
    # every SQL table
    async with runtime.long_term.engine.connect() as conn:
        for table in m.Base.metadata.sorted_tables:
            rows = (await conn.execute(table.select())).all()
            hits = [r for r in rows if marker in repr(r) and "test" in repr(r)
                    and other not in repr(r)]
            assert not hits, f"{table.name} still holds the user's data"
        users = (await conn.execute(text(
            "SELECT count(*) FROM identities WHERE platform_user_id = :u"), {"u": user})).scalar()
        assert users == 0
    # every short-term key
    if runtime.settings.redis_url:
        short = runtime.short_term
        keys = [k async for k in short.redis.scan_iter(match="*")]  # type: ignore[attr-defined]
        for k in keys:
            assert user not in k, f"redis key {k} survived"
            if await short.redis.type(k) == "list":  # type: ignore[attr-defined]
                values = await short.redis.lrange(k, 0, -1)  # type: ignore[attr-defined]
                assert not any(marker in v and other not in k for v in values)
    # the raw database file (deleted pages must not keep the text)
    if runtime.long_term.engine.dialect.name == "sqlite":
        path = runtime.settings.data_dir / "botcore.sqlite3"
        raw = path.read_bytes()
        assert raw.count(f"love {marker}".encode()) == 0
        assert raw.count(f"secret word is {marker}".encode()) == 0
        assert f"I like {marker}s too".encode() in raw  # the other user's row is intact


async def test_link_joins_two_platform_accounts_into_one_memory(runtime: Runtime) -> None:
    tg, dc = uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
    await runtime.manager.handle(IncomingMessage(platform="telegram", message_id="1", chat_id=tg,
                                                 user_id=tg, text="Hi, I'm Dana"))
    await settle(runtime)
    offer = await runtime.manager.handle(IncomingMessage(platform="telegram", message_id="2",
                                                         chat_id=tg, user_id=tg, text="/link"))
    code = offer[0].text.split("code is ")[1][:8]
    bad = await runtime.manager.handle(IncomingMessage(platform="discord", message_id="3",
                                                       chat_id=dc, user_id=dc, text="/link 000000x"))
    assert "unknown or expired" in bad[0].text
    ok = await runtime.manager.handle(IncomingMessage(platform="discord", message_id="4",
                                                      chat_id=dc, user_id=dc, text=f"/link {code}"))
    assert f"telegram:{tg}" in ok[0].text
    mem = await runtime.manager.handle(IncomingMessage(platform="discord", message_id="5",
                                                       chat_id=dc, user_id=dc, text="/memory"))
    assert "Their name is Dana." in mem[0].text
    again = await runtime.manager.handle(IncomingMessage(platform="discord", message_id="6",
                                                         chat_id=dc, user_id=dc, text=f"/link {code}"))
    assert "unknown or expired" in again[0].text  # one-time
