"""`botctl users …` against the real database (SQLite, and Postgres + Redis)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from botcore.memory.factory import open_long_term, open_short_term
from botcore.runtime import open_runtime
from tests.cli.conftest import Botctl, arun, message, play
from tests.cli.test_broadcast import drain


def test_list_show_and_search(any_botctl: Botctl) -> None:
    play(any_botctl.settings)
    res = any_botctl("users", "list", "--json")
    assert res.code == 0, res.err
    rows = {r["ref"]: r for r in json.loads(res.out)}
    assert set(rows) == {"telegram:101", "telegram:102", "discord:201", "console:ana"}
    assert rows["telegram:101"]["display_name"] == "Ana" and rows["telegram:101"]["messages"] == 2
    only_tg = json.loads(any_botctl("users", "list", "--platform", "telegram", "--json").out)
    assert {r["ref"] for r in only_tg} == {"telegram:101", "telegram:102"}
    by_name = json.loads(any_botctl("users", "list", "-q", "cle", "--json").out)
    assert [r["ref"] for r in by_name] == ["discord:201"]

    shown = json.loads(any_botctl("users", "show", "Cleo", "--json").out)
    assert shown["ref"] == "discord:201" and shown["messages"] == 2 and shown["replies"] == 2
    assert shown["feedback_down"] == 1 and shown["feedback_up"] == 0
    ana = json.loads(any_botctl("users", "show", "telegram:101", "--json").out)
    assert ana["facts"] >= 2 and ana["feedback_up"] == 2
    table = any_botctl("users", "list")
    assert table.code == 0 and "telegram:102" in table.out and "Bob" in table.out


def test_ambiguous_unknown_and_bad_arguments_fail_with_one_line(botctl: Botctl) -> None:
    play(botctl.settings)
    amb = botctl("users", "show", "ana")  # console:ana and Ana (telegram:101)
    assert amb.code != 0 and "matches several users" in amb.err and "console:ana" in amb.err
    assert len(amb.err.strip().splitlines()) == 1
    missing = botctl("users", "show", "telegram:999")
    assert missing.code != 0 and missing.err.strip() == "error: no user telegram:999"
    bad = botctl("users", "list", "--limit", "0")
    assert bad.code == 2 and "--limit" in bad.err
    nosuch = botctl("users", "frobnicate")
    assert nosuch.code == 2


def test_block_makes_the_bot_answer_with_a_notice_and_unblock_restores(botctl: Botctl) -> None:
    play(botctl.settings)
    res = botctl("users", "block", "telegram:101", "--reason", "spam")
    assert res.code == 0 and "blocked" in res.out

    async def talk() -> str:
        async with open_runtime(botctl.settings) as rt:
            out = await rt.manager.handle(message("telegram", "101", "hello?"))
            return out[0].text

    assert "paused this bot" in str(arun(talk()))
    blocked = json.loads(botctl("users", "list", "--blocked", "--json").out)
    assert [r["ref"] for r in blocked] == ["telegram:101"]
    assert botctl("users", "unblock", "telegram:101").code == 0
    assert str(arun(talk())).startswith("You said: hello?")
    audit = json.loads(botctl("audit", "list", "--action", "users.", "--json").out)
    assert [a["action"] for a in audit][:2] == ["users.unblock", "users.block"]
    assert audit[1]["details"] == {"reason": "spam"} and audit[1]["target"] == "telegram:101"


def test_forget_asks_first_and_erases_sql_and_short_term(any_botctl: Botctl) -> None:
    play(any_botctl.settings)
    no = any_botctl("users", "forget", "telegram:101", input="n\n")
    assert no.code != 0 and "nothing was erased" in no.err
    assert any_botctl("users", "show", "telegram:101").code == 0

    yes = any_botctl("users", "forget", "telegram:101", "--json", input="y\n")
    assert yes.code == 0, yes.err
    report = json.loads(yes.out.splitlines()[-1])
    assert report["deleted"]["messages"] == 4 and report["deleted"]["users"] == 1
    assert any_botctl("users", "show", "telegram:101").code != 0

    async def leftovers() -> tuple[object, object]:
        sql = await open_long_term(any_botctl.settings)
        short = await open_short_term(any_botctl.settings)
        try:
            data = await sql.export_user("telegram", "101")
            key = message("telegram", "101", "x").conversation_key()
            return data, await short.recent_turns(key, 10)
        finally:
            await short.aclose()
            await sql.aclose()

    data, cached = arun(leftovers())
    assert data == {"user": None}
    assert not cached  # Redis keys gone too (in-process memory is per process anyway)
    if any_botctl.settings.redis_url:
        import redis

        r = redis.Redis.from_url(any_botctl.settings.redis_url)
        assert not [k for k in r.scan_iter("botcore:*") if b"telegram:101:" in k]
        r.close()
    # an id SQL no longer knows is still forgotten in Redis (e.g. Redis was down the first time)
    play(any_botctl.settings, [("discord", "301", "Rex", "hello", None)])
    if any_botctl.settings.redis_url:
        async def sql_only() -> None:
            sql = await open_long_term(any_botctl.settings)
            await sql.forget_user("discord", "301")
            await sql.aclose()

        arun(sql_only())
        again = any_botctl("users", "forget", "discord:301", "--yes", "--json")
        assert again.code == 0, again.err
        assert json.loads(again.out)["deleted"]["short_term_keys"] >= 1
    # others untouched; forget was audited
    assert any_botctl("users", "show", "telegram:102").code == 0
    audit = json.loads(any_botctl("audit", "list", "--json").out)
    assert any(a["action"] == "users.forget" and a["target"] == "telegram:101" for a in audit)


def test_forget_with_yes_does_not_prompt(botctl: Botctl) -> None:
    play(botctl.settings)
    res = botctl("users", "forget", "discord:201", "--yes")
    assert res.code == 0 and "erased discord:201" in res.out and "?" not in res.out


def test_export_to_file_and_stdout(botctl: Botctl, tmp_path: Path) -> None:
    play(botctl.settings)
    out = tmp_path / "ana.json"
    res = botctl("users", "export", "Ana", "-o", str(out))
    assert res.code == 0 and "exported telegram:101" in res.err
    data = json.loads(out.read_text())
    assert data["ref"] == "telegram:101" and data["user"]["display_name"] == "Ana"
    assert [m["text"] for m in data["messages"] if m["role"] == "user"] == [
        "Hi, I'm Ana and I have a dog named Max", "Can you explain how to solve 2x+3=7?"]
    assert any("Max" in f["text"] for f in data["facts"])
    stdout = json.loads(botctl("users", "export", "discord:201").out)
    assert stdout["ref"] == "discord:201" and len(stdout["messages"]) == 4
    bad = botctl("users", "export", "Ana", "-o", str(tmp_path / "no" / "dir" / "x.json"))
    assert bad.code != 0 and bad.err.startswith("error: cannot write")


def test_purge_deletes_only_old_data_after_confirmation(any_botctl: Botctl) -> None:
    play(any_botctl.settings, [("telegram", "old", "Olga", "Hi, I'm Olga", None)])
    assert any_botctl("broadcast", "--to", "telegram", "-m", "old news").code == 0
    drain(any_botctl, "telegram")  # finished: purged with the old data
    time.sleep(3.5)
    play(any_botctl.settings, [("telegram", "new", "Nia", "Hi, I'm Nia", None)])

    dry = json.loads(any_botctl("users", "purge", "--older-than", "3s", "--dry-run",
                                "--json").out)
    assert dry["messages"] == 2 and dry["conversations"] == 1 and dry["inactive_users"] == 0
    assert dry["broadcasts"] == 1
    assert any_botctl("users", "purge", "--older-than", "3s", input="n\n").code != 0
    assert json.loads(any_botctl("users", "show", "telegram:old", "--json").out)["messages"] == 1

    res = any_botctl("users", "purge", "--older-than", "3s", "--inactive-users", "--yes",
                     "--json")
    assert res.code == 0, res.err
    done = json.loads(res.out)
    assert done["messages"] == 2 and done["inactive_users"] == 1 and done["broadcasts"] == 1
    assert json.loads(any_botctl("broadcast", "list", "--json").out) == []
    assert any_botctl("users", "show", "telegram:old").code != 0  # inactive: erased
    nia = json.loads(any_botctl("users", "show", "telegram:new", "--json").out)
    assert nia["messages"] == 1 and nia["replies"] == 1  # recent data kept
    bad = any_botctl("users", "purge", "--older-than", "ninety days", "--yes")
    assert bad.code == 2 and "bad duration" in bad.err


def test_forget_refuses_while_an_embedded_bot_keeps_memory_in_process(botctl: Botctl) -> None:
    """#12 item 4: the CLI cannot reach a running bot's in-process short-term memory, so it
    refuses (one line, nothing erased) instead of reporting a success that is not true."""
    import asyncio
    import threading

    play(botctl.settings)
    started, stop = threading.Event(), threading.Event()

    def bot() -> None:
        async def main() -> None:
            async with open_runtime(botctl.settings):
                started.set()
                await asyncio.to_thread(stop.wait, 60)

        asyncio.run(main())

    thread = threading.Thread(target=bot)
    thread.start()
    try:
        assert started.wait(60)
        refused = botctl("users", "forget", "telegram:101", "--yes")
    finally:
        stop.set()
        thread.join(60)
    assert refused.code == 1 and "erased" not in refused.out
    assert len(refused.err.strip().splitlines()) == 1 and "nothing was erased" in refused.err
    assert botctl("users", "show", "telegram:101").code == 0
    done = botctl("users", "forget", "telegram:101", "--yes")  # the bot stopped: memory is gone
    assert done.code == 0 and "erased telegram:101" in done.out
