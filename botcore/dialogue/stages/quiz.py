"""Stage: while a quiz runs, a message is the answer to its current question."""

from __future__ import annotations

from botcore.dialogue.answering import answering
from botcore.dialogue.quiz_play import QuizPlay
from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn


class QuizAnswer:
    """Grades a typed quiz answer (``/quiz`` keeps the quiz in the session state).

    Args:
        quiz: the quiz play (:meth:`~botcore.dialogue.quiz_play.QuizPlay.answer`).
    """

    def __init__(self, quiz: QuizPlay) -> None:
        self.quiz = quiz

    async def __call__(self, turn: Turn, session: Session, call_next: Next) -> None:
        quiz = turn.state.get("quiz")
        if not quiz:
            await call_next(turn)
            return
        result = await self.quiz.answer(turn.message, turn.key, quiz, turn.text)
        answering()
        await session.sql(lambda: session.long_term.record_message(
            turn.key, "assistant", result.text, skill="tutor",
            platform_message_id=f"reply:{turn.pmid}", author=turn.message.user_id))
        turn.say(result.text, buttons=result.buttons)
