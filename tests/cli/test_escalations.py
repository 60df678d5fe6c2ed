"""`botctl escalations`: a real escalation (the faq skill had no answer) answered by a human."""

from __future__ import annotations

import json

from botcore.memory.factory import open_long_term, open_short_term
from tests.cli.conftest import Botctl, arun, message, play
from tests.cli.test_broadcast import drain


def test_list_show_reply_delivers_and_enters_the_transcript(any_botctl: Botctl) -> None:
    outs = play(any_botctl.settings)
    assert "human" in outs[2][0].text.lower() or outs[2][0].skill == "faq"
    listed = json.loads(any_botctl("escalations", "list", "--json").out)
    assert len(listed) == 1
    esc = listed[0]
    assert esc["user"] == "telegram:102" and esc["status"] == "open"
    assert esc["question"] == "What is your refund policy for a damaged order?"
    shown = any_botctl("escalations", "show", str(esc["id"]))
    assert shown.code == 0 and "refund policy" in shown.out and "Bob" in shown.out

    res = any_botctl("escalations", "reply", str(esc["id"]), "-m",
                     "Damaged orders are refunded in full within 14 days.", "--json")
    assert res.code == 0, res.err
    done = json.loads(res.out)
    assert done["status"] == "resolved" and done["user"] == "telegram:102"
    assert json.loads(any_botctl("escalations", "list", "--json").out) == []
    resolved = json.loads(any_botctl("escalations", "list", "--status", "resolved",
                                     "--json").out)
    assert resolved[0]["answer"].startswith("Damaged orders")

    counts, sent = drain(any_botctl, "telegram")
    assert counts == {"sent": 1}
    assert (sent[0].kind, sent[0].chat_id, sent[0].platform_user_id) == ("escalation", "102",
                                                                         "102")
    status = json.loads(any_botctl("broadcast", "status", str(done["broadcast_id"]),
                                   "--json").out)
    assert status["sent"] == 1 and status["done"]

    async def transcript() -> tuple[list[str], list[str] | None]:
        sql = await open_long_term(any_botctl.settings)
        short = await open_short_term(any_botctl.settings)
        key = message("telegram", "102", "x").conversation_key()
        try:
            turns = await sql.recent_turns(key, 10)
            cached = await short.recent_turns(key, 10)
            return ([t.text for t in turns],
                    None if cached is None else [t.text for t in cached])
        finally:
            await short.aclose()
            await sql.aclose()

    turns, cached = arun(transcript())
    assert turns[-1].startswith("Damaged orders")  # the bot's context now has the answer
    if any_botctl.settings.redis_url:
        assert cached is not None and cached[-1].startswith("Damaged orders")
    audit = json.loads(any_botctl("audit", "list", "--json").out)
    assert audit[0]["action"] == "escalations.reply"


def test_resolve_and_bad_ids(botctl: Botctl) -> None:
    play(botctl.settings)
    esc_id = json.loads(botctl("escalations", "list", "--json").out)[0]["id"]
    res = botctl("escalations", "resolve", str(esc_id), "--note", "called them")
    assert res.code == 0 and "resolved" in res.out
    again = botctl("escalations", "resolve", str(esc_id))
    assert "already" in again.out
    assert botctl("broadcast", "list", "--json").out.strip() == "[]"  # nothing sent
    assert botctl("escalations", "show", "999").err.strip() == "error: no escalation #999"
    assert botctl("escalations", "reply", "999", "-m", "x").code == 1
    notnum = botctl("escalations", "show", "abc")
    assert notnum.code == 2
    bad = botctl("escalations", "list", "--status", "pending")
    assert bad.code == 2 and "open, resolved, expired, all" in bad.err
    empty = botctl("escalations", "reply", str(esc_id), "-m", " ")
    assert empty.code == 2
    table = botctl("escalations", "list", "--status", "all")
    assert "called them" not in table.out and "resolved" in table.out


def test_audit_list_filters_and_rejects_bad_options(botctl: Botctl) -> None:
    play(botctl.settings)
    botctl("users", "block", "discord:201")
    botctl("stats")
    rows = json.loads(botctl("audit", "list", "--since", "1h", "--json").out)
    assert [r["action"] for r in rows][:2] == ["stats.view", "users.block"]
    assert all(r["actor"].startswith("cli") for r in rows)
    only = json.loads(botctl("audit", "list", "--action", "users.block", "--json").out)
    assert len(only) == 1 and only[0]["target"] == "discord:201"
    assert "users.block" in botctl("audit", "list").out
    assert botctl("audit", "list", "--since", "soon").code == 2
    assert botctl("audit", "list", "--limit", "-1").code == 2
