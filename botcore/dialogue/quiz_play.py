"""A quiz played in a chat: ``/quiz TOPIC`` starts one, each answer (typed or a button) is graded.

The quiz lives in the conversation's session state (``quiz``, as JSON) until it ends; the final
score is stored for ``/progress``.
"""

from __future__ import annotations

from botcore.dialogue import commands as cmd
from botcore.dialogue.session import Session
from botcore.i18n import Text, language_of
from botcore.messages import Button, ConversationKey, IncomingMessage
from botcore.tutoring import quiz as quizzes
from botcore.tutoring import store as tutoring_store

QUIZ_UNKNOWN = Text("I don't have a quiz on {topic} yet. Topics: {topics}.",
                    "我还没有关于 {topic} 的测验。主题有：{topics}。")
QUIZ_START = Text("Quiz time! {n} questions on {topic}. Answer with the button or type your "
                  "answer (/quiz stop to end).\n\n{question}",
                  "测验开始！关于{topic}的 {n} 道题。点按钮或直接输入答案"
                  "（/quiz stop 结束）。\n\n{question}")
QUIZ_STOPPED = Text("Quiz stopped. You had {score}/{done} so far.",
                    "测验已结束。到目前为止你答对了 {score}/{done}。")
QUIZ_STOP_WORDS = frozenset({"/quiz stop", "stop", "quit", "停止", "结束", "退出", "不玩了"})
CORRECT = Text("✅ Correct!", "✅ 答对了！")
WRONG = Text("❌ Not quite — the answer is {answer}.", "❌ 不太对——答案是 {answer}。")
QUIZ_DONE = Text("{verdict}\n\nDone! You scored {score}/{total} on {topic}. /progress shows "
                 "your history.",
                 "{verdict}\n\n完成！你在{topic}测验中得了 {score}/{total} 分。"
                 "/progress 可以查看历史成绩。")


class QuizPlay:
    """Starts quizzes and grades their answers.

    Args:
        session: the dialogue's stores (the quiz is kept in the session state).
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    async def start(self, message: IncomingMessage, key: ConversationKey,
                    args: str) -> cmd.CommandResult:
        """Begin a quiz and ask the first question."""
        lang = language_of(message)
        topic = quizzes.normalize_topic(args)
        if topic is None:
            return cmd.CommandResult(QUIZ_UNKNOWN.render(lang, topic=repr(args.strip()),
                                                         topics=", ".join(quizzes.topics())))
        quiz = quizzes.make_quiz(topic, lang=lang)
        await self.session.set_state(key, {"quiz": quiz.to_json(), "skill": "tutor"})
        return cmd.CommandResult(
            QUIZ_START.render(lang, n=len(quiz.questions), topic=quizzes.topic_name(topic, lang),
                              question=quizzes.format_question(quiz, lang)),
            buttons=_choice_buttons(quiz))

    async def answer(self, message: IncomingMessage, key: ConversationKey, raw_quiz: str,
                     answer: str) -> cmd.CommandResult:
        """Grade an answer, then ask the next question or finish and store the score."""
        s = self.session
        lang = language_of(message)
        quiz = quizzes.Quiz.from_json(raw_quiz)
        if answer.strip().lower() in QUIZ_STOP_WORDS:
            await s.set_state(key, {"quiz": None})
            return cmd.CommandResult(QUIZ_STOPPED.render(lang, score=quiz.score, done=quiz.index))
        q = quiz.current
        right = quizzes.is_correct(q, answer)
        quiz.score += int(right)
        quiz.index += 1
        verdict = CORRECT.render(lang) if right else WRONG.render(lang, answer=q.answer)
        if q.why:
            verdict += f" {q.why}"
        if quiz.finished:
            await s.sql(lambda: tutoring_store.save_result(
                s.long_term, message.platform, message.user_id, quiz.topic, quiz.score,
                len(quiz.questions)))
            await s.set_state(key, {"quiz": None})
            return cmd.CommandResult(QUIZ_DONE.render(
                lang, verdict=verdict, score=quiz.score, total=len(quiz.questions),
                topic=quizzes.topic_name(quiz.topic, lang)))
        await s.set_state(key, {"quiz": quiz.to_json()})
        return cmd.CommandResult(f"{verdict}\n\n{quizzes.format_question(quiz, lang)}",
                                 buttons=_choice_buttons(quiz))


def _choice_buttons(quiz: quizzes.Quiz) -> tuple[tuple[Button, ...], ...]:
    q = quiz.current
    if not q.choices:
        return ()
    return tuple((Button(f"{chr(ord('A') + i)}) {c}"[:60], f"quiz:{chr(ord('a') + i)}"),)
                 for i, c in enumerate(q.choices))
