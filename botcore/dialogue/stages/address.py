"""Stage: answer only what is addressed to the bot, or every message of a group that asked."""

from __future__ import annotations

import time
from dataclasses import replace

from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn
from botcore.errors import StorageError
from botcore.messages import IncomingMessage


async def address(turn: Turn, session: Session, call_next: Next) -> None:
    """Drop a group message not meant for the bot (no mention, no reply to it), unless its chat's
    admins turned on answering every message there (``/settings``)."""
    message = turn.message
    if not message.addressed and message.callback_data is None:
        if not await _answers_everything(message, session):
            return
        turn.message = replace(message, addressed=True)
        turn.key = turn.message.conversation_key()
    turn.started = time.perf_counter()
    await call_next(turn)


async def _answers_everything(message: IncomingMessage, session: Session) -> bool:
    if message.chat_type == "private" or message.text.lstrip().startswith("/"):
        return False
    try:
        cfg = await session.chat_settings(message)
    except StorageError:
        return False
    enabled = cfg.get("enabled_channels")
    return isinstance(enabled, list) and (message.chat_id in enabled or (
        message.thread_id is not None and message.thread_id in enabled))
