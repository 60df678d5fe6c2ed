"""The dialogue manager's turn, on the embedded backends and on real Redis + Postgres."""

from __future__ import annotations

import asyncio
import uuid

from botcore.dialogue.turn import dedupe_token
from botcore.messages import Attachment, AttachmentKind, ChatType, IncomingMessage
from botcore.runtime import Runtime


def msg(text: str, user: str | None = None, *, mid: str | None = None, chat: str | None = None,
        **kw: object) -> IncomingMessage:
    user = user or uuid.uuid4().hex[:10]
    return IncomingMessage(platform="test", message_id=mid or uuid.uuid4().hex, chat_id=chat or user,
                           user_id=user, text=text, **kw)  # type: ignore[arg-type]


async def test_a_turn_is_answered_and_persisted(runtime: Runtime) -> None:
    m = msg("Hi, I'm Ana and I have a dog named Max")
    out = await runtime.manager.handle(m)
    assert len(out) == 1 and out[0].text.startswith("You said: Hi, I'm Ana")
    assert out[0].turn_id is not None and out[0].buttons  # feedback buttons
    await runtime.manager.aclose()  # background fact extraction
    turns = await runtime.long_term.recent_turns(m.conversation_key(), 10)
    assert [t.role for t in turns] == ["user", "assistant"]
    facts = [f.text for f in await runtime.long_term.list_facts("test", m.user_id)]
    assert "Their name is Ana." in facts and "They have a dog named Max." in facts


async def test_same_platform_message_twice_gives_one_reply_and_one_row(runtime: Runtime) -> None:
    m = msg("hello there")
    first, second = await asyncio.gather(runtime.manager.handle(m), runtime.manager.handle(m))
    assert sorted([len(first), len(second)]) == [0, 1]
    turns = await runtime.long_term.recent_turns(m.conversation_key(), 10)
    assert len(turns) == 2


async def test_redelivery_after_the_dedupe_cache_is_lost_is_caught_by_sql(runtime: Runtime) -> None:
    m = msg("only once please")
    assert len(await runtime.manager.handle(m)) == 1
    await runtime.short_term.release(dedupe_token(m))
    assert await runtime.manager.handle(m) == []
    assert len(await runtime.long_term.recent_turns(m.conversation_key(), 10)) == 2


async def test_concurrent_messages_of_one_user_are_answered_in_order(runtime: Runtime) -> None:
    user = uuid.uuid4().hex[:10]
    texts = [f"message number {i}" for i in range(20)]
    runtime.settings.rate_limit_user = 100
    outs = await asyncio.gather(*(runtime.manager.handle(msg(t, user)) for t in texts))
    assert all(len(o) == 1 for o in outs)
    turns = await runtime.long_term.recent_turns(msg("x", user).conversation_key(), 100)
    user_texts = [t.text for t in turns if t.role == "user"]
    assert user_texts == texts
    # each reply directly follows its message
    for i in range(0, len(turns), 2):
        assert turns[i + 1].text == f"You said: {turns[i].text}"


async def test_a_flooding_user_is_throttled_once_and_others_are_not(runtime: Runtime) -> None:
    runtime.settings.rate_limit_user = 5
    flood = uuid.uuid4().hex[:10]
    outs = [await runtime.manager.handle(msg(f"spam {i}", flood)) for i in range(9)]
    answered = [o for o in outs if o and not o[0].notice]
    notices = [o for o in outs if o and o[0].notice]
    assert len(answered) == 5
    assert len(notices) == 1 and "faster than I can read" in notices[0][0].text
    assert sum(1 for o in outs if o == []) == 3  # no notice flood
    other = await runtime.manager.handle(msg("hi, I'm someone else"))
    assert other and not other[0].notice


async def test_unknown_command_empty_and_huge_input_get_clear_replies(runtime: Runtime) -> None:
    unknown = await runtime.manager.handle(msg("/frobnicate now"))
    assert "I don't know the command /frobnicate" in unknown[0].text
    empty = await runtime.manager.handle(msg("   \u200b\x00  "))
    assert "empty message" in empty[0].text
    huge = await runtime.manager.handle(msg("a" * 100_000))
    assert huge[0].text.startswith("(Your message was very long")
    sticker = await runtime.manager.handle(
        msg("", attachments=(Attachment(AttachmentKind.STICKER),)))
    assert "stickers" in sticker[0].text and "only understand text" in sticker[0].text


async def test_group_messages_not_addressed_to_the_bot_are_ignored(runtime: Runtime) -> None:
    out = await runtime.manager.handle(msg("chatting among ourselves", chat="g1",
                                           chat_type=ChatType.GROUP, addressed=False))
    assert out == []


async def test_mode_is_pinned_and_survives_a_cache_flush(runtime: Runtime) -> None:
    user = uuid.uuid4().hex[:10]
    out = await runtime.manager.handle(msg("/mode tutor", user))
    assert "pinned to tutor" in out[0].text
    await runtime.short_term.clear(msg("x", user).conversation_key())
    reply = await runtime.manager.handle(msg("what is 12*12?", user))
    assert reply[0].skill == "tutor"
    assert "Answer: 144" in reply[0].text
    bad = await runtime.manager.handle(msg("/mode pirate", user))
    assert "Unknown mode 'pirate'" in bad[0].text


async def test_history_is_rebuilt_from_sql_when_the_cache_is_empty(runtime: Runtime) -> None:
    user = uuid.uuid4().hex[:10]
    await runtime.manager.handle(msg("first message", user))
    key = msg("x", user).conversation_key()
    await runtime.short_term.clear(key)
    assert await runtime.short_term.recent_turns(key, 10) is None
    await runtime.manager.handle(msg("second message", user))
    cached = await runtime.short_term.recent_turns(key, 10)
    assert cached is not None and [t.text for t in cached][:1] == ["first message"]


async def test_forget_erases_the_user_everywhere(runtime: Runtime) -> None:
    user = uuid.uuid4().hex[:10]
    await runtime.manager.handle(msg("Hi, I'm Zoe and I love jazz", user))
    await runtime.manager.aclose()
    ask = await runtime.manager.handle(msg("/forget", user))
    yes = ask[0].buttons[0][0].data
    assert yes.startswith("forget:yes:")
    done = await runtime.manager.handle(msg("", user, callback_data=yes))
    assert "erased everything" in done[0].text
    assert await runtime.long_term.get_user("test", user) is None
    assert await runtime.long_term.list_facts("test", user) == []
    key = msg("x", user).conversation_key()
    assert await runtime.short_term.recent_turns(key, 10) is None
    assert await runtime.short_term.get_state(key) == {}


async def test_feedback_buttons_are_stored_only_for_the_owner(runtime: Runtime) -> None:
    user = uuid.uuid4().hex[:10]
    out = await runtime.manager.handle(msg("rate me", user))
    up = out[0].buttons[0][0].data
    ok = await runtime.manager.handle(msg("", user, callback_data=up))
    assert ok[0].text == "Thanks for the feedback!"
    other = await runtime.manager.handle(msg("", callback_data=up))
    assert other[0].text == "I couldn't record that feedback."


async def test_group_memory_is_per_member_unless_the_chat_shares_it(runtime: Runtime) -> None:
    group = f"g-{uuid.uuid4().hex[:6]}"
    a, b = uuid.uuid4().hex[:6], uuid.uuid4().hex[:6]
    await runtime.manager.handle(msg("alpha says hi", a, chat=group, chat_type=ChatType.GROUP))
    per_member = msg("x", b, chat=group, chat_type=ChatType.GROUP).conversation_key()
    assert await runtime.long_term.recent_turns(per_member, 10) == []
    await runtime.long_term.set_chat_settings("test", group, {"memory_scope": "shared"})
    runtime.manager.session.chat_cache.clear()
    await runtime.manager.handle(msg("beta says hi", b, chat=group, chat_type=ChatType.GROUP))
    await runtime.manager.handle(msg("alpha again", a, chat=group, chat_type=ChatType.GROUP))
    shared = msg("x", a, chat=group, chat_type=ChatType.GROUP).conversation_key(
        shared_group_memory=True)
    texts = [t.text for t in await runtime.long_term.recent_turns(shared, 10) if t.role == "user"]
    assert texts == ["beta says hi", "alpha again"]


async def test_a_guild_default_skill_applies_when_no_mode_is_pinned(runtime: Runtime) -> None:
    guild = f"guild-{uuid.uuid4().hex[:6]}"
    await runtime.long_term.set_chat_settings("test", guild, {"default_skill": "tutor"})
    out = await runtime.manager.handle(msg("what is 6*7", chat="chan1", chat_type=ChatType.GROUP,
                                           settings_scope=guild))
    assert out[0].skill == "tutor" and "6 × 7 = 42" in out[0].text


async def test_a_turn_left_by_a_crashed_process_is_answered_on_redelivery(runtime: Runtime) -> None:
    m = msg("did anyone get this?")
    # A bot process claimed the message, stored it, then died before replying.
    token = dedupe_token(m)
    await runtime.short_term.claim(token, 300, value="run:deadprocess")
    await runtime.long_term.record_message(m.conversation_key(), "user", m.text,
                                           platform_message_id=m.message_id)
    out = await runtime.manager.handle(m)  # the platform redelivers after the crash
    assert len(out) == 1 and out[0].text == "You said: did anyone get this?"
    turns = await runtime.long_term.recent_turns(m.conversation_key(), 10)
    assert [t.role for t in turns] == ["user", "assistant"]
    assert await runtime.manager.handle(m) == []  # and only once


async def test_a_turn_in_progress_in_a_live_process_is_not_taken_over(runtime: Runtime) -> None:
    m = msg("slow one")
    token = dedupe_token(m)
    await runtime.short_term.claim(token, 300, value="run:otherprocess")
    await runtime.short_term.set_claim("alive:otherprocess", "1", 30)
    assert await runtime.manager.handle(m) == []
