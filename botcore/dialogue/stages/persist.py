"""Stage: the answer is recorded (SQL, then the Redis cache) and becomes the turn's reply."""

from __future__ import annotations

import logging
import time

from botcore import metrics
from botcore.dialogue.answering import answering
from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn
from botcore.i18n import Text
from botcore.memory.base import Turn as Said
from botcore.messages import Button, OutgoingMessage

log = logging.getLogger(__name__)

TRUNCATED = Text("(Your message was very long, so I only read the first {n} characters.)\n\n",
                 "（你的消息很长，我只读了前 {n} 个字符。）\n\n")


async def persist(turn: Turn, session: Session, call_next: Next) -> None:
    """After the stages that answer: store the answer with its latency, append both sides to
    the cached recent turns, keep the skill's state changes, log one line, and reply with
    feedback buttons (unless the skill gave buttons of its own)."""
    await call_next(turn)
    reply, message, key = turn.answer, turn.message, turn.key
    if reply is None:
        return
    reply.text = turn.prefix + reply.text
    if turn.truncated:
        reply.text = TRUNCATED.render(turn.lang, n=session.settings.max_input_chars) + reply.text
    latency = (time.perf_counter() - turn.started) * 1000
    answering()  # once recorded, a redelivery is a duplicate: the answer must reach its user
    bot = await session.sql(lambda: session.long_term.record_message(
        key, "assistant", reply.text, skill=reply.skill, platform_message_id=f"reply:{turn.pmid}",
        latency_ms=latency, meta=reply.meta or None, author=message.user_id))
    now = time.time()
    await session.soft(session.short_term.append_turns(key, [
        Said("user", turn.text, reply.skill, now), Said("assistant", reply.text, reply.skill, now)]),
        None)
    if reply.skill:
        reply.state.setdefault("skill", reply.skill)
    if reply.state and reply.state != {"skill": turn.state.get("skill")}:
        await session.set_state(key, reply.state)
    log.info("turn platform=%s skill=%s outcome=answered ms=%.0f", message.platform,
             reply.skill, latency)
    metrics.observe_turn(message.platform, reply.skill, "answered", latency / 1000)
    if reply.meta.get("error"):
        metrics.observe_error(message.platform, str(reply.meta["error"]))
    log.debug("turn text=%r reply=%r", turn.text, reply.text)
    buttons = reply.buttons or ((Button("👍", f"fb:1:{bot.id}"), Button("👎", f"fb:-1:{bot.id}")),)
    turn.replies = [OutgoingMessage(
        text=reply.text, chat_id=message.chat_id, thread_id=message.thread_id,
        reply_to_message_id=message.message_id if message.chat_type != "private" else None,
        buttons=buttons, turn_id=bot.id, skill=reply.skill)]
