"""Stage: a user (or a group) sending faster than the limits is asked to slow down."""

from __future__ import annotations

import logging
import time

from botcore import metrics
from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn, opaque
from botcore.i18n import Text

log = logging.getLogger(__name__)

SLOW_DOWN = Text("You're sending messages faster than I can read them. Please wait {s} seconds.",
                 "你发消息太快了，我有点跟不上。请等 {s} 秒再发。")


async def rate_limit(turn: Turn, session: Session, call_next: Next) -> None:
    """Count the message against its sender's and its group's windows; over either limit the
    turn ends with one notice per window (so a flood does not become a flood of notices)."""
    s, message, short = session.settings, turn.message, session.short_term
    wait = await session.soft(short.hit("user:" + opaque(message.user_ref), s.rate_limit_user,
                                        s.rate_limit_window_s), 0.0)
    if not wait and message.chat_type != "private":
        chat = "chat:" + opaque(f"{message.platform}:{message.chat_id}")
        wait = await session.soft(short.hit(chat, s.rate_limit_chat, s.rate_limit_window_s), 0.0)
    if not wait:
        await call_next(turn)
        return
    window = int(time.time() // s.rate_limit_window_s)
    first = await session.soft(short.claim(f"rl-notice:{opaque(message.user_ref)}:{window}",
                                           s.rate_limit_window_s), True)
    log.info("turn platform=%s outcome=rate_limited wait=%.1fs", message.platform, wait)
    metrics.observe_turn(message.platform, None, "rate_limited")
    if first:
        turn.say(SLOW_DOWN.render(turn.lang, s=max(1, round(wait))))
