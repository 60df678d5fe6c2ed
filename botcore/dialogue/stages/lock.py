"""Stage: one turn at a time per conversation across every bot process."""

from __future__ import annotations

from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn


async def hold_conversation(turn: Turn, session: Session, call_next: Next) -> None:
    """Read the chat's settings (a group may share one memory among its members, which makes the
    group the conversation), then hold the conversation's lock for the rest of the turn."""
    turn.chat = await session.chat_settings(turn.message)
    if turn.chat.get("memory_scope") == "shared":
        turn.key = turn.message.conversation_key(shared_group_memory=True)
    async with session.lock(turn.key):
        await call_next(turn)
