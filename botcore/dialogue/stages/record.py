"""Stage: the user's message is recorded before it is answered (a redelivery is caught here)."""

from __future__ import annotations

import logging

from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn

log = logging.getLogger(__name__)


async def record_message(turn: Turn, session: Session, call_next: Next) -> None:
    """Read the recent turns (without this message), store the message in SQL, and end the turn
    when SQL already holds an answer to it (a redelivery Redis could not catch). Loads the
    session state the rest of the turn reads."""
    message, key, sql = turn.message, turn.key, session.long_term
    turn.history = await session.history(key)
    pmid = turn.pmid
    stored = await session.sql(lambda: sql.record_message(
        key, "user", turn.text, platform_message_id=pmid, display_name=message.user_name,
        author=message.user_id))
    if not stored.created and await session.sql(
            lambda: sql.has_message(stored.conversation_id, f"reply:{pmid}")):
        log.info("turn platform=%s outcome=duplicate(sql)", message.platform)
        return
    turn.stored = stored
    turn.state = await session.state(key)
    await call_next(turn)
