"""Stage: what memory holds about the user is fetched; a question it answers is quoted from it."""

from __future__ import annotations

from botcore.dialogue.context import SkillReply
from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn
from botcore.memory.answers import answer_from_memory


async def recall(turn: Turn, session: Session, call_next: Next) -> None:
    """Set the user's stored facts and the conversation's summary on the turn. A question about
    something stored ("what is my cat's name?") is answered with the stored words, never
    generated (where the companion may answer)."""
    facts, summary = await session.recall(turn.key, turn.message)
    remembered = answer_from_memory(turn.text, turn.lang, [f for f, _ in facts])
    if remembered is not None and "companion" in turn.allowed:
        turn.answer = SkillReply(remembered, skill="companion", meta={"memory_answer": True})
        return
    turn.facts, turn.summary = facts, summary[0] if summary else None
    await call_next(turn)
