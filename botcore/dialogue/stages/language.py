"""Stage: the conversation keeps its language for messages that have none ("12+5")."""

from __future__ import annotations

from dataclasses import replace

from botcore.dialogue.session import Session
from botcore.dialogue.turn import LANG, Next, Turn
from botcore.i18n import turn_language


async def keep_language(turn: Turn, session: Session, call_next: Next) -> None:
    """Set the message's ``language`` to this turn's language, which the session state keeps
    (so "12+5" after Chinese messages is answered in Chinese)."""
    message = turn.message
    state = await session.state(turn.key)
    lang = turn_language(message.text, known=state.get(LANG), hint=message.language)
    if state.get(LANG) != lang:
        await session.set_state(turn.key, {LANG: lang})
    turn.message = replace(message, language=lang)
    await call_next(turn)
