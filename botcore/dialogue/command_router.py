"""Commands and button presses: everything a turn answers without the generator."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from botcore.admin.chat_commands import AdminContext, handle_admin_command
from botcore.config import SKILLS
from botcore.dialogue import command_registry as registry
from botcore.dialogue import commands as cmd
from botcore.dialogue.command_registry import Where
from botcore.dialogue.quiz_play import QuizPlay
from botcore.dialogue.session import Session
from botcore.faq.index import FaqIndex
from botcore.handoff.service import ASKED_HUMAN, NOTED, Handoff
from botcore.i18n import Text, language_of
from botcore.memory.identity import (
    LinkOutcome,
    burn_code,
    notify_linked,
    offer_link,
    redeem_link,
    unlink,
)
from botcore.memory.sql_store import MAX_ROW_ID, PRIVATE_SCOPE
from botcore.messages import ChatType, ConversationKey, IncomingMessage
from botcore.tutoring import quiz as quizzes
from botcore.tutoring import store as tutoring_store

log = logging.getLogger(__name__)

SKILL_OFF = Text("That skill is turned off here. Available: {skills}.",
                 "这里没有开启这个技能。可用的技能：{skills}。")

HINT_ON = Text("Homework mode on: I'll give hints, not answers.",
               "作业模式已开启：我会给提示，不直接给答案。")
HINT_OFF = Text("Homework mode off: full explanations again.", "作业模式已关闭：恢复完整讲解。")
RESET = Text("Fresh start! I've cleared our recent conversation "
             "(what I remember about you stays; /forget erases it).",
             "重新开始！我清空了我们最近的对话（我记得的关于你的事还在；/forget 可以删除）。")
EXPORT = Text("Here is everything I store about you.", "这是我保存的关于你的全部数据。")
FEEDBACK = Text("Thanks! Use the 👍/👎 buttons under my answers to rate them, or just tell me "
                "what to improve.",
                "谢谢！可以用我回答下面的 👍/👎 按钮打分，或者直接告诉我哪里可以改进。")
MEMORY_DELETE_USAGE = Text("Use /memory delete N with a number from /memory.",
                           "请用 /memory delete N，N 是 /memory 列表里的编号。")
MEMORY_FORGOTTEN = Text("Forgotten: {fact}", "已忘记：{fact}")
MEMORY_EMPTY = Text("I don't remember anything about you yet.", "我还不记得任何关于你的事。")
MEMORY_LIST = Text("Here's what I remember about you:\n{lines}\n\nUse /memory delete N to remove one.",
                   "我记得这些关于你的事：\n{lines}\n\n用 /memory delete N 删除其中一条。")
FAQ_USAGE = Text("Ask me a question after /faq, e.g. /faq how do I get a refund?",
                 "请在 /faq 后面写上你的问题，例如：/faq 怎么退款？")
FAQ_NOT_FOUND = Text("I couldn't find that in our knowledge base. Ask me in plain words and "
                     "I'll pass it to a human if I still don't know.",
                     "我在知识库里没找到这个。你可以直接用平常的话问我，如果我还是不知道，"
                     "会转给人工同事。")
SOURCE = Text("\n\nSource: {url}", "\n\n来源：{url}")
CONSENT_STATUS = Text("Training consent is {now}. With /consent on, our conversations may be "
                      "used to improve the bot; /consent off stops that.",
                      "训练授权：{now}。用 /consent on 允许用我们的对话改进机器人；"
                      "/consent off 则停止。")
ON = Text("on", "已开启")
OFF = Text("off", "已关闭")
CONSENT_ON = Text("Thank you! Your conversations may help train the bot.",
                  "谢谢！你的对话可以用来帮助训练机器人。")
CONSENT_OFF = Text("Okay: your conversations will not be used for training.",
                   "好的：你的对话不会被用于训练。")
LINK_CODE = Text("Your link code is {code} (valid 10 minutes, once). Send /link {code} to me in "
                 "a private chat on your other platform to share one memory across both. Never "
                 "show this code to anyone.",
                 "你的关联码是 {code}（10 分钟内有效，只能用一次）。在另一个平台上私聊我发送 "
                 "/link {code}，两个账号就会共用一份记忆。不要把这个码给任何人看。")
LINK_PRIVATE_ONLY = Text("For your safety, send me /link in a private chat.",
                         "为了安全，请在私聊中给我发送 /link。")
LINK_LOCKED = Text("Too many wrong codes: linking is paused for this account for an hour.",
                   "错误的关联码太多：此账号的关联功能暂停一小时。")
LINK_OWN = Text("That is this account's own code: send it from your other account.",
                "这是本账号自己的关联码：请从另一个账号发送。")
LINK_NOTICE = Text("Your account was just linked with {other}: it can now read what I remember "
                   "about you. If that wasn't you, send /unlink here at once.",
                   "你的账号刚刚与 {other} 关联：它现在可以读取我记得的关于你的内容。"
                   "如果不是你本人操作，请立即在这里发送 /unlink。")
UNLINK_DONE = Text("Unlinked: {accounts} no longer share this memory; each keeps what was said "
                   "in its own chats.",
                   "已解除关联：{accounts} 不再共享这份记忆；每个账号保留自己聊天中的内容。")
UNLINK_NONE = Text("This account is not linked to any other.", "这个账号没有与其他账号关联。")
GROUP_FACT = Text(" (learned in a group; recalled only there)", "（在群组中得知；只在该群组中使用）")
BUTTON_NOT_YOURS = Text("This button belongs to someone else's request.", "这个按钮属于别人的请求。")
LINK_UNKNOWN = Text("That code is unknown or expired. Send /link on your other account to get "
                    "a new one.",
                    "这个关联码不存在或已过期。请在另一个账号上发送 /link 获取新的关联码。")
LINKED = Text("Linked! This account now shares its memory with {target}. /unlink undoes it.",
              "关联成功！这个账号现在和 {target} 共用一份记忆。发送 /unlink 可以撤销。")
NO_QUIZZES = Text("No quizzes yet. Try /quiz math (topics: {topics}).",
                  "还没有做过测验。试试 /quiz math（主题：{topics}）。")
PROGRESS_LINE = Text("• {topic}: {quizzes} quiz(zes), {correct}/{total} correct ({pct}%), "
                     "best {best}, last {last}/{last_total}",
                     "• {topic}：{quizzes} 次测验，答对 {correct}/{total}（{pct}%），"
                     "最好 {best}，最近一次 {last}/{last_total}")
PROGRESS = Text("Your progress:\n{lines}", "你的进度：\n{lines}")
FORGOT_ALL = Text("Done. I erased everything I stored about you ({total} records).",
                  "完成。我删除了保存的关于你的全部数据（{total} 条记录）。")
KEPT = Text("Okay, I kept everything as it was.", "好的，一切保持原样。")
FEEDBACK_THANKS = Text("Thanks for the feedback!", "谢谢你的反馈！")
FEEDBACK_FAILED = Text("I couldn't record that feedback.", "我没能记录这条反馈。")
QUIZ_OVER = Text("That quiz is over. Start a new one with /quiz TOPIC.",
                 "那个测验已经结束了。用 /quiz 主题 开始一个新的。")
BUTTON_EXPIRED = Text("That button has expired. Type /help to see what I can do.",
                      "这个按钮已经失效了。输入 /help 看看我能做什么。")


Handler = Callable[[IncomingMessage, ConversationKey, str, str], Awaitable[cmd.CommandResult]]
"""A command's handler: ``(message, conversation, command name, argument text) → answer``."""


class CommandRouter:
    """Answers ``/commands`` and buttons for the dialogue's stages.

    Args:
        session: the dialogue's stores and the resilience around them.
        handoff: the human handoff (``/human``, the staff commands).
        faq: the knowledge base (``/faq``).
    """

    def __init__(self, session: Session, handoff: Handoff, faq: FaqIndex) -> None:
        self.s = session
        self.handoff = handoff
        self.faq = faq
        self.quiz = QuizPlay(session)
        self._handlers = self._dispatch_table()
        missing = {c.key for c in registry.COMMANDS if c.key} - set(self._handlers)
        if missing:
            raise TypeError(f"commands declared without a handler: {sorted(missing)}")

    async def command(self, message: IncomingMessage, key: ConversationKey,
                      text: str) -> cmd.CommandResult:
        """Run one command, dispatched by its declaration in :mod:`command_registry`; unknown
        ones (and those a platform adapter answers) get a clear reply."""
        name, args = cmd.parse_command(text)
        spec = registry.find(name)
        handler = self._handlers.get(spec.key or "") if spec is not None else None
        if spec is None or handler is None:
            return cmd.CommandResult(cmd.UNKNOWN_COMMAND.render(language_of(message),
                                                                name=name[:40] or "?"))
        result = await handler(message, key, name, args)
        if spec.private and (spec.where is not Where.PRIVATE
                             or message.chat_type is ChatType.PRIVATE):
            result.private = True  # a private-chat-only command's refusal in a group is public
        return result

    def _dispatch_table(self) -> dict[str, Handler]:
        """Handler key (:attr:`~botcore.dialogue.command_registry.Command.key`) → handler."""
        return {
            "start": self._help, "help": self._help, "staff": self._staff, "human": self._human,
            "mode": self._mode, "hint": self._hint, "reset": self._reset, "forget": self._forget,
            "export": self._export, "memory": self._memory, "quiz": self._quiz, "faq": self._faq,
            "progress": self._progress, "consent": self._consent, "link": self._link,
            "unlink": self._unlink, "feedback": self._feedback, "admin": self._admin,
        }

    async def _help(self, message: IncomingMessage, key: ConversationKey, name: str,
                    args: str) -> cmd.CommandResult:
        lang = language_of(message)
        who = message.user_name or ""
        greeting = cmd.GREETING.render(lang, name=(", " + who if lang == "en" else "，" + who)
                                       if who else "")
        return cmd.CommandResult((greeting if name == "start" else "") + registry.help_text(lang))

    async def _staff(self, message: IncomingMessage, key: ConversationKey, name: str,
                     args: str) -> cmd.CommandResult:
        return cmd.CommandResult(await self.handoff.staff_command(message, name, args))

    async def _human(self, message: IncomingMessage, key: ConversationKey, name: str,
                     args: str) -> cmd.CommandResult:
        esc = await self.handoff.open(message, key, args or "/human", "user")
        return cmd.CommandResult((ASKED_HUMAN if esc is not None else NOTED).render(
            language_of(message)))

    async def _mode(self, message: IncomingMessage, key: ConversationKey, name: str,
                    args: str) -> cmd.CommandResult:
        s = self.s
        lang = language_of(message)
        state = await s.state(key)
        allowed = s.allowed_skills(await s.chat_settings(message))
        if args.strip().lower() in SKILLS and args.strip().lower() not in allowed:
            return cmd.CommandResult(SKILL_OFF.render(lang, skills=", ".join(allowed)))
        mode, reply = cmd.mode_reply(args, state.get("mode"), lang)
        await s.set_state(key, {"mode": mode, "skill": mode})
        return cmd.CommandResult(reply)

    async def _hint(self, message: IncomingMessage, key: ConversationKey, name: str,
                    args: str) -> cmd.CommandResult:
        on = args.lower() not in {"off", "0", "no"}
        await self.s.set_state(key, {"hint_mode": "1" if on else None})
        return cmd.CommandResult((HINT_ON if on else HINT_OFF).render(language_of(message)))

    async def _reset(self, message: IncomingMessage, key: ConversationKey, name: str,
                     args: str) -> cmd.CommandResult:
        s = self.s
        await s.sql(lambda: s.long_term.reset_conversation(key))
        await s.soft(s.short_term.clear(key), None)
        await s.set_state(key, {"quiz": None, "skill": None})
        return cmd.CommandResult(RESET.render(language_of(message)))

    async def _export(self, message: IncomingMessage, key: ConversationKey, name: str,
                      args: str) -> cmd.CommandResult:
        s = self.s
        data = await s.sql(lambda: s.long_term.export_user(message.platform, message.user_id))
        return cmd.CommandResult(EXPORT.render(language_of(message)),
                                 file=cmd.export_file(message.user_ref, data))

    async def _forget(self, message: IncomingMessage, key: ConversationKey, name: str,
                      args: str) -> cmd.CommandResult:
        return cmd.forget_confirmation(message.user_ref, language_of(message))

    async def _feedback(self, message: IncomingMessage, key: ConversationKey, name: str,
                        args: str) -> cmd.CommandResult:
        return cmd.CommandResult(FEEDBACK.render(language_of(message)))

    async def _quiz(self, message: IncomingMessage, key: ConversationKey, name: str,
                    args: str) -> cmd.CommandResult:
        return await self.quiz.start(message, key, args)

    async def _admin(self, message: IncomingMessage, key: ConversationKey, name: str,
                     args: str) -> cmd.CommandResult:
        s = self.s
        return cmd.CommandResult(await handle_admin_command(
            AdminContext(s.settings, s.long_term, s.short_term), message, args))

    async def _memory(self, message: IncomingMessage, key: ConversationKey, name: str,
                      args: str) -> cmd.CommandResult:
        s = self.s
        lang = language_of(message)
        facts = await s.sql(lambda: s.long_term.list_facts(message.platform, message.user_id))
        parts = args.split()
        if parts[:1] == ["delete"]:
            if len(parts) != 2 or not parts[1].isdigit() or not 1 <= int(parts[1]) <= len(facts):
                return cmd.CommandResult(MEMORY_DELETE_USAGE.render(lang))
            fact = facts[int(parts[1]) - 1]
            await s.sql(lambda: s.long_term.delete_fact(message.platform, message.user_id, fact.id))
            return cmd.CommandResult(MEMORY_FORGOTTEN.render(lang, fact=fact.text))
        if not facts:
            return cmd.CommandResult(MEMORY_EMPTY.render(lang))
        lines = "\n".join(f"{i}. {f.text}" + ("" if f.scope == PRIVATE_SCOPE else
                                                 GROUP_FACT.render(lang))
                          for i, f in enumerate(facts, 1))
        return cmd.CommandResult(MEMORY_LIST.render(lang, lines=lines))

    async def _faq(self, message: IncomingMessage, key: ConversationKey, name: str,
                   args: str) -> cmd.CommandResult:
        question, lang = args, language_of(message)
        if not question.strip():
            return cmd.CommandResult(FAQ_USAGE.render(lang))
        hit = await self.faq.search(question)
        if hit.id is None or hit.answer is None:
            return cmd.CommandResult(FAQ_NOT_FOUND.render(lang))
        return cmd.CommandResult(hit.answer + (SOURCE.render(lang, url=hit.url) if hit.url else ""))

    async def _consent(self, message: IncomingMessage, key: ConversationKey, name: str,
                       args: str) -> cmd.CommandResult:
        s = self.s
        lang = language_of(message)
        choice = args.strip().lower()
        if choice not in {"on", "off", "yes", "no"}:
            user = await s.sql(lambda: s.long_term.get_user(message.platform, message.user_id))
            now = (ON if user and user.consent_training else OFF).render(lang)
            return cmd.CommandResult(CONSENT_STATUS.render(lang, now=now))
        on = choice in {"on", "yes"}
        await s.sql(lambda: s.long_term.set_user_flags(message.platform, message.user_id,
                                                  consent_training=on))
        return cmd.CommandResult((CONSENT_ON if on else CONSENT_OFF).render(lang))

    async def _link(self, message: IncomingMessage, key: ConversationKey, name: str,
                    args: str) -> cmd.CommandResult:
        s = self.s
        lang = language_of(message)
        if message.chat_type is not ChatType.PRIVATE:
            if args:  # a code shown to a group is burnt: nobody there can redeem it
                await s.soft(burn_code(s.short_term, args), None)
            return cmd.CommandResult(LINK_PRIVATE_ONLY.render(lang))
        if not args:
            code = await offer_link(s.short_term, message.platform, message.user_id)
            return cmd.CommandResult(LINK_CODE.render(lang, code=code))
        result = await redeem_link(s.short_term, s.long_term, message.platform, message.user_id, args)
        if result.outcome is LinkOutcome.LOCKED:
            return cmd.CommandResult(LINK_LOCKED.render(lang))
        if result.outcome is LinkOutcome.OWN:
            return cmd.CommandResult(LINK_OWN.render(lang))
        if result.outcome is not LinkOutcome.LINKED or result.target is None:
            return cmd.CommandResult(LINK_UNKNOWN.render(lang))
        s.forget_caches()
        await s.sql(lambda: notify_linked(s.long_term, result, message.user_ref,
                                           LINK_NOTICE.render(lang, other=message.user_ref)))
        log.info("link platform=%s outcome=linked", message.platform)
        return cmd.CommandResult(LINKED.render(lang, target=result.target))

    async def _unlink(self, message: IncomingMessage, key: ConversationKey, name: str,
                      args: str) -> cmd.CommandResult:
        s = self.s
        lang = language_of(message)
        detached = await s.sql(lambda: unlink(s.long_term, message.platform, message.user_id))
        s.forget_caches()
        if not detached:
            return cmd.CommandResult(UNLINK_NONE.render(lang))
        return cmd.CommandResult(UNLINK_DONE.render(lang, accounts=", ".join(detached)))

    async def _progress(self, message: IncomingMessage, key: ConversationKey, name: str,
                        args: str) -> cmd.CommandResult:
        s = self.s
        lang = language_of(message)
        rows = await s.sql(lambda: tutoring_store.progress(s.long_term, message.platform,
                                                            message.user_id))
        if not rows:
            return cmd.CommandResult(NO_QUIZZES.render(lang, topics=", ".join(quizzes.topics())))
        lines = [PROGRESS_LINE.render(lang, topic=r.topic, quizzes=r.quizzes, correct=r.correct,
                                      total=r.total, pct=100 * r.correct // max(1, r.total),
                                      best=r.best, last=r.last_score, last_total=r.last_total)
                 for r in rows]
        return cmd.CommandResult(PROGRESS.render(lang, lines="\n".join(lines)))

    # buttons ---------------------------------------------------------------------------------

    async def button(self, message: IncomingMessage, key: ConversationKey) -> cmd.CommandResult:
        """Handle a button press."""
        s = self.s
        lang = language_of(message)
        data = message.callback_data or ""
        if data.startswith(("forget:yes", "forget:no")):
            action = "forget:yes" if data.startswith("forget:yes") else "forget:no"
            why = cmd.check_bound(data, action, message.user_ref)
            if why == "not yours":
                return cmd.CommandResult(BUTTON_NOT_YOURS.render(lang))
            if why is not None:
                return cmd.CommandResult(BUTTON_EXPIRED.render(lang))
            if action == "forget:no":
                return cmd.CommandResult(KEPT.render(lang), private=True)
            report = await s.forget_user(message.platform, message.user_id)
            total = sum(report.values())
            return cmd.CommandResult(FORGOT_ALL.render(lang, total=total), private=True)
        if data.startswith("fb:"):
            parts = data.split(":")
            ok = False
            if (len(parts) == 3 and parts[1] in {"1", "-1"} and parts[2].isascii()
                    and parts[2].isdigit() and len(parts[2]) <= 10
                    and 1 <= int(parts[2]) <= MAX_ROW_ID):
                value, mid = int(parts[1]), int(parts[2])
                ok = await s.sql(lambda: s.long_term.record_feedback(
                    mid, message.platform, message.user_id, value))
            return cmd.CommandResult((FEEDBACK_THANKS if ok else FEEDBACK_FAILED).render(lang))
        if data.startswith("quiz:"):
            state = await s.state(key)
            raw = state.get("quiz")
            if not raw:
                return cmd.CommandResult(QUIZ_OVER.render(lang))
            return await self.quiz.answer(message, key, raw, data.split(":", 1)[1])
        return cmd.CommandResult(BUTTON_EXPIRED.render(lang))
