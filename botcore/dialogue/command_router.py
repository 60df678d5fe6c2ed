"""Commands and button presses: everything a turn answers without the generator."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from botcore.dialogue import commands as cmd
from botcore.memory.identity import offer_link, redeem_link
from botcore.messages import Button, ConversationKey, IncomingMessage
from botcore.tutoring import quiz as quizzes
from botcore.tutoring import store as tutoring_store

if TYPE_CHECKING:
    from botcore.dialogue.manager import DialogueManager

log = logging.getLogger(__name__)


class CommandRouter:
    """Answers ``/commands`` and buttons for the dialogue manager (shares its resilience helpers)."""

    def __init__(self, manager: DialogueManager) -> None:
        self.m = manager

    async def command(self, message: IncomingMessage, key: ConversationKey,
                      text: str) -> cmd.CommandResult:
        """Run one command; unknown ones get a clear reply."""
        m = self.m
        name, args = cmd.parse_command(text)
        state = await m._state(key)
        if name in {"start", "help"}:
            greeting = f"Hi{', ' + message.user_name if message.user_name else ''}! "
            return cmd.CommandResult((greeting if name == "start" else "") + cmd.HELP)
        if name == "mode":
            mode, reply = cmd.mode_reply(args, state.get("mode"))
            await m._set_state(key, {"mode": mode, "skill": mode})
            return cmd.CommandResult(reply)
        if name == "hint":
            on = args.lower() not in {"off", "0", "no"}
            await m._set_state(key, {"hint_mode": "1" if on else None})
            return cmd.CommandResult("Homework mode on: I'll give hints, not answers." if on
                                     else "Homework mode off: full explanations again.")
        if name == "reset":
            await m._sql(lambda: m.sql.reset_conversation(key))
            await m._soft(m.short.clear(key), None)
            await m._set_state(key, {"quiz": None, "skill": None})
            return cmd.CommandResult("Fresh start! I've cleared our recent conversation "
                                     "(what I remember about you stays; /forget erases it).")
        if name == "forget":
            return cmd.forget_confirmation()
        if name == "export":
            data = await m._sql(lambda: m.sql.export_user(message.platform, message.user_id))
            return cmd.CommandResult("Here is everything I store about you.",
                                     file=cmd.export_file(message.user_ref, data))
        if name == "memory":
            return await self._memory(message, args)
        if name == "quiz":
            return await self.start_quiz(message, key, args)
        if name == "faq":
            return await self._faq(args)
        if name == "progress":
            return await self._progress(message)
        if name == "consent":
            return await self._consent(message, args)
        if name == "link":
            return await self._link(message, args)
        if name == "feedback":
            return cmd.CommandResult("Thanks! Use the 👍/👎 buttons under my answers to rate "
                                     "them, or just tell me what to improve.")
        if name == "admin":
            return cmd.CommandResult(await m.admin(message, args))
        return cmd.CommandResult(cmd.UNKNOWN_COMMAND.format(name=name[:40] or "?"))

    async def _memory(self, message: IncomingMessage, args: str) -> cmd.CommandResult:
        m = self.m
        facts = await m._sql(lambda: m.sql.list_facts(message.platform, message.user_id))
        parts = args.split()
        if parts[:1] == ["delete"]:
            if len(parts) != 2 or not parts[1].isdigit() or not 1 <= int(parts[1]) <= len(facts):
                return cmd.CommandResult("Use /memory delete N with a number from /memory.")
            fact = facts[int(parts[1]) - 1]
            await m._sql(lambda: m.sql.delete_fact(message.platform, message.user_id, fact.id))
            return cmd.CommandResult(f"Forgotten: {fact.text}")
        if not facts:
            return cmd.CommandResult("I don't remember anything about you yet.")
        lines = "\n".join(f"{i}. {f.text}" for i, f in enumerate(facts, 1))
        return cmd.CommandResult(f"Here's what I remember about you:\n{lines}\n\n"
                                 "Use /memory delete N to remove one.")

    async def _faq(self, question: str) -> cmd.CommandResult:
        if not question.strip():
            return cmd.CommandResult("Ask me a question after /faq, e.g. /faq how do I get a refund?")
        hit = await self.m.faq.search(question)
        if hit.id is None or hit.answer is None:
            return cmd.CommandResult("I couldn't find that in our knowledge base. Ask me in plain "
                                     "words and I'll pass it to a human if I still don't know.")
        return cmd.CommandResult(hit.answer + (f"\n\nSource: {hit.url}" if hit.url else ""))

    async def _consent(self, message: IncomingMessage, args: str) -> cmd.CommandResult:
        m = self.m
        choice = args.strip().lower()
        if choice not in {"on", "off", "yes", "no"}:
            user = await m._sql(lambda: m.sql.get_user(message.platform, message.user_id))
            now = "on" if user and user.consent_training else "off"
            return cmd.CommandResult(f"Training consent is {now}. With /consent on, our "
                                     "conversations may be used to improve the bot; /consent off "
                                     "stops that.")
        on = choice in {"on", "yes"}
        await m._sql(lambda: m.sql.set_user_flags(message.platform, message.user_id,
                                                  consent_training=on))
        return cmd.CommandResult("Thank you! Your conversations may help train the bot." if on
                                 else "Okay: your conversations will not be used for training.")

    async def _link(self, message: IncomingMessage, args: str) -> cmd.CommandResult:
        m = self.m
        if not args:
            code = await offer_link(m.short, message.platform, message.user_id)
            return cmd.CommandResult(f"Your link code is {code} (valid 10 minutes). Send "
                                     f"/link {code} to me on your other platform to share one "
                                     "memory across both.")
        target = await redeem_link(m.short, m.sql, message.platform, message.user_id, args)
        if target is None:
            return cmd.CommandResult("That code is unknown or expired. Send /link on your other "
                                     "account to get a new one.")
        return cmd.CommandResult(f"Linked! This account now shares its memory with {target}.")

    async def _progress(self, message: IncomingMessage) -> cmd.CommandResult:
        m = self.m
        rows = await m._sql(lambda: tutoring_store.progress(m.sql, message.platform,
                                                            message.user_id))
        if not rows:
            return cmd.CommandResult("No quizzes yet. Try /quiz math (topics: "
                                     f"{', '.join(quizzes.topics())}).")
        lines = [f"• {r.topic}: {r.quizzes} quiz(zes), {r.correct}/{r.total} correct "
                 f"({100 * r.correct // max(1, r.total)}%), best {r.best}, last "
                 f"{r.last_score}/{r.last_total}" for r in rows]
        return cmd.CommandResult("Your progress:\n" + "\n".join(lines))

    # quizzes ---------------------------------------------------------------------------------

    async def start_quiz(self, message: IncomingMessage, key: ConversationKey,
                         args: str) -> cmd.CommandResult:
        """Begin a quiz and ask the first question."""
        topic = quizzes.normalize_topic(args)
        if topic is None:
            return cmd.CommandResult(f"I don't have a quiz on {args.strip()!r} yet. Topics: "
                                     f"{', '.join(quizzes.topics())}.")
        quiz = quizzes.make_quiz(topic)
        await self.m._set_state(key, {"quiz": quiz.to_json(), "skill": "tutor"})
        return cmd.CommandResult(
            f"Quiz time! {len(quiz.questions)} questions on {topic}. Answer with the button or "
            "type your answer (/quiz stop to end).\n\n" + quizzes.format_question(quiz),
            buttons=_choice_buttons(quiz))

    async def answer_quiz(self, message: IncomingMessage, key: ConversationKey, raw_quiz: str,
                          answer: str) -> cmd.CommandResult:
        """Grade an answer, then ask the next question or finish and store the score."""
        m = self.m
        quiz = quizzes.Quiz.from_json(raw_quiz)
        if answer.strip().lower() in {"/quiz stop", "stop", "quit"}:
            await m._set_state(key, {"quiz": None})
            return cmd.CommandResult(f"Quiz stopped. You had {quiz.score}/{quiz.index} so far.")
        q = quiz.current
        right = quizzes.is_correct(q, answer)
        quiz.score += int(right)
        quiz.index += 1
        verdict = "✅ Correct!" if right else f"❌ Not quite — the answer is {q.answer}."
        if q.why:
            verdict += f" {q.why}"
        if quiz.finished:
            await m._sql(lambda: tutoring_store.save_result(
                m.sql, message.platform, message.user_id, quiz.topic, quiz.score,
                len(quiz.questions)))
            await m._set_state(key, {"quiz": None})
            return cmd.CommandResult(f"{verdict}\n\nDone! You scored {quiz.score}/"
                                     f"{len(quiz.questions)} on {quiz.topic}. /progress shows "
                                     "your history.")
        await m._set_state(key, {"quiz": quiz.to_json()})
        return cmd.CommandResult(f"{verdict}\n\n{quizzes.format_question(quiz)}",
                                 buttons=_choice_buttons(quiz))

    # buttons ---------------------------------------------------------------------------------

    async def button(self, message: IncomingMessage, key: ConversationKey) -> cmd.CommandResult:
        """Handle a button press."""
        m = self.m
        data = message.callback_data or ""
        if data == "forget:yes":
            report = await m.forget_user(message.platform, message.user_id)
            total = sum(report.values())
            return cmd.CommandResult(f"Done. I erased everything I stored about you "
                                     f"({total} records).")
        if data == "forget:no":
            return cmd.CommandResult("Okay, I kept everything as it was.")
        if data.startswith("fb:"):
            try:
                _, value, mid = data.split(":")
                ok = await m._sql(lambda: m.sql.record_feedback(
                    int(mid), message.platform, message.user_id, int(value)))
            except ValueError:
                ok = False
            return cmd.CommandResult("Thanks for the feedback!" if ok
                                     else "I couldn't record that feedback.")
        if data.startswith("quiz:"):
            state = await m._state(key)
            raw = state.get("quiz")
            if not raw:
                return cmd.CommandResult("That quiz is over. Start a new one with /quiz TOPIC.")
            return await self.answer_quiz(message, key, raw, data.split(":", 1)[1])
        return cmd.CommandResult("That button has expired. Type /help to see what I can do.")


def _choice_buttons(quiz: quizzes.Quiz) -> tuple[tuple[Button, ...], ...]:
    q = quiz.current
    if not q.choices:
        return ()
    return tuple((Button(f"{chr(ord('A') + i)}) {c}"[:60], f"quiz:{chr(ord('a') + i)}"),)
                 for i, c in enumerate(q.choices))
