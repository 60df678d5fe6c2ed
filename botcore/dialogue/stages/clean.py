"""Stage: the text is cleaned before it reaches memory or the model (or refused, with a reason)."""

from __future__ import annotations

from botcore.dialogue.input import attachment_notice, clean_text
from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn


async def clean_input(turn: Turn, session: Session, call_next: Next) -> None:
    """Answer an attachment without text politely, refuse empty text, cut overlong text (the
    answer says so); the rest of the turn reads :attr:`Turn.text`."""
    note = attachment_notice(turn.message, turn.lang)
    if note:
        turn.say(note)
        return
    clean = clean_text(turn.message.text, session.settings.max_input_chars, turn.lang)
    if clean.refusal:
        turn.say(clean.refusal)
        return
    turn.text, turn.truncated = clean.text, clean.truncated
    await call_next(turn)
