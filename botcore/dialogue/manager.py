"""The dialogue manager: one turn from a normalized message to the replies (ARCHITECTURE §2).

dedupe → rate limit → per-conversation lock → clean input → commands / buttons → understand →
safety → route → skill → generate (streamed) → persist (SQL, then the Redis cache) → replies.

Redis is a cache: when it is unreachable the turn goes on without it (SQL dedupes, the lock falls
back to this process). SQL is the record: its errors are retried for a while, then the user is
told to resend and the dedupe claim is released so a redelivery is answered.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any, TypeVar

from botcore import metrics
from botcore.admin.chat_commands import AdminContext, handle_admin_command
from botcore.config import Settings
from botcore.dialogue import commands as cmd
from botcore.dialogue.busy import busy_watch, status_hook
from botcore.dialogue.command_router import CommandRouter
from botcore.dialogue.context import SkillReply, SkillServices, TurnContext
from botcore.dialogue.input import attachment_notice, clean_text
from botcore.dialogue.protocols import ReplyStream
from botcore.dialogue.routing import choose_skill
from botcore.dialogue.session import Session
from botcore.errors import (
    BotcoreError,
    InferenceError,
    InferenceTimeout,
    StorageError,
    StorageUnavailable,
)
from botcore.faq.index import FaqAnswer, FaqIndex
from botcore.handoff import Handoff, staff_mark, wants_human
from botcore.handoff.service import ASKED_HUMAN, NOTED
from botcore.handoff.service import STATE as HANDOFF
from botcore.i18n import Text, turn_language
from botcore.inference.base import ModelExecutor
from botcore.inference.payloads import ChatTurn, GenerateRequest, Understanding
from botcore.memory.answers import answer_from_memory, keep_names_verbatim, stored_names
from botcore.memory.base import ShortTermMemory, Turn
from botcore.memory.facts import extract_facts
from botcore.memory.recall import extractive_summary, rank_facts
from botcore.memory.sql_store import SqlMemory, fact_scope
from botcore.messages import (
    Button,
    ChatType,
    ConversationKey,
    IncomingMessage,
    OutgoingMessage,
    PrivateDelivery,
)
from botcore.ordering import KeyedOrder
from botcore.safety import (
    ABUSE_PAUSE,
    ABUSE_REPLY,
    ABUSE_STRIKES,
    ABUSE_WINDOW_S,
    INJECTION_REPLY,
    UNSAFE_SEXUAL_REPLY,
    StreamScreen,
    Verdict,
    crisis_reply,
    is_injection,
    screen_input,
    screen_output,
)
from botcore.skills import SKILL_HANDLERS
from botcore.tutoring.solver import solve as solve_problem
from botcore.tutoring.solver_reply import asks_for_number

log = logging.getLogger(__name__)
T = TypeVar("T")

TUTOR_FALLBACK = 0.15
"""A question asking for a number goes to the tutor (whose numbers are checked) when the routing
head gives the tutor at least this much, even if another skill scored higher."""
DONE = "done"
BACKGROUND_CLOSE_S = 3.0
"""How long closing waits for background memory updates (facts, summaries)."""
HEARTBEAT_S = 5.0
"""A process refreshes its liveness key this often; its in-progress claims die with it."""
SUMMARY_EVERY = 4
"""Check whether a rolling summary is due once every this many turns of a conversation."""
SLOW_DOWN = Text("You're sending messages faster than I can read them. Please wait {s} seconds.",
                 "你发消息太快了，我有点跟不上。请等 {s} 秒再发。")
STORAGE_DOWN = Text("Sorry, I can't reach my memory right now. Please send that again in a minute — "
                    "nothing you sent was lost.",
                    "抱歉，我现在无法访问我的记忆。请一分钟后再发一次——你发的内容没有丢失。")
MODEL_DOWN = Text("Sorry, I'm having trouble thinking right now. Please try again in a moment.",
                  "抱歉，我现在有点想不过来。请稍后再试。")
TOO_SLOW = Text("Sorry, that took me too long. Please try again (or ask something shorter).",
                "抱歉，我想得太久了。请再试一次（或者问得简短一些）。")
TRUNCATED = Text("(Your message was very long, so I only read the first {n} characters.)\n\n",
                 "（你的消息很长，我只读了前 {n} 个字符。）\n\n")
SENT_PRIVATELY = Text("I sent it to you privately.", "我已私下发给你了。")
NO_PRIVATE_CHAT = Text("I can't message you privately yet: open a private chat with me (press "
                       "Start, or allow direct messages), then ask again there.",
                       "我还不能私下给你发消息：请先和我开始私聊（点“开始”，或允许私信），"
                       "然后在那里再问一次。")
BLOCKED = Text("An administrator has paused this bot for your account.",
               "管理员已暂停了你账户的机器人服务。")
NO_WORDS = Text("Hmm, I'm not sure what to say to that. Could you put it another way?",
                "嗯，我不太知道该怎么回答。你能换个说法吗？")
LANG = "lang"
"""Session-state field: the conversation's language (kept for messages without one, "12+5")."""


def _lang(message: IncomingMessage) -> str:
    """The language to answer ``message`` in: the text's script, else the message's language
    (the platform's hint, or within a turn the conversation's language)."""
    return turn_language(message.text, hint=message.language)


def _opaque(value: str) -> str:
    """Short-term keys that outlive a /forget for a few seconds carry no user ids, only hashes."""
    return hashlib.blake2b(value.encode("utf-8", "replace"), digest_size=16).hexdigest()


class DialogueManager:
    """Implements :class:`botcore.dialogue.protocols.TurnHandler` for every adapter."""

    def __init__(self, settings: Settings, short_term: ShortTermMemory, long_term: SqlMemory,
                 executor: ModelExecutor, *, sql_retry_s: float = 15.0) -> None:
        self.short = short_term
        self.sql = long_term
        self.executor = executor
        self.session = Session(settings, short_term, long_term, sql_retry_s=sql_retry_s)
        self.faq = FaqIndex(long_term, executor, threshold=settings.faq_threshold)
        self.instance = uuid.uuid4().hex[:16]
        self._heartbeat: asyncio.Task[None] | None = None
        self._order = KeyedOrder()
        self.handoff = Handoff(self.session)
        self.commands = CommandRouter(self.session, self.handoff, self.faq)

    @property
    def settings(self) -> Settings:
        """The bot's settings (the session's: replacing them here replaces them for every stage)."""
        return self.session.settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self.session.settings = value

    def cache_sizes(self) -> dict[str, int]:
        """Entries in this process's caches (all expire and are capped; for metrics and tests)."""
        return {**self.session.cache_sizes(), "order_locks": len(self._order)}

    async def aclose(self) -> None:
        """Stop the heartbeat; wait for background memory updates to finish (a few seconds at
        most, so a shutdown stays bounded; the rest are cancelled)."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None
        await self.session.close(BACKGROUND_CLOSE_S)

    # the turn --------------------------------------------------------------------------------

    async def handle(self, message: IncomingMessage,
                     stream: ReplyStream | None = None) -> list[OutgoingMessage]:
        """Answer one message (see :class:`~botcore.dialogue.protocols.TurnHandler`)."""
        if not message.addressed and message.callback_data is None:
            if not await self._answers_everything(message):
                return []
            message = replace(message, addressed=True)
        started = time.perf_counter()
        key = message.conversation_key()
        # Taken before any other await, so this process answers a conversation in arrival order.
        async with busy_watch(stream, _lang(message), self.settings.busy_notice_s) as stream, \
                self._in_order(key):
            return await self._handle(message, key, stream, started)

    def _in_order(self, key: ConversationKey) -> AbstractAsyncContextManager[None]:
        return self._order(str(key))

    async def _handle(self, message: IncomingMessage, key: ConversationKey,
                      stream: ReplyStream | None, started: float) -> list[OutgoingMessage]:
        token = self._dedupe_token(message)
        if not await self._claim_turn(token):
            log.info("turn platform=%s outcome=duplicate", message.platform)
            metrics.observe_turn(message.platform, None, "duplicate")
            return []
        done = False
        try:
            replies, done = await self._claimed(message, key, stream, started)
            return replies
        finally:  # done: redeliveries are duplicates; not done: a redelivery is answered
            if done:
                await self.session.soft(self.short.set_claim(token, DONE, self.settings.dedupe_ttl_s),
                                 None)
            else:
                await self.session.soft(self.short.release(token), None)

    async def _claim_turn(self, token: str) -> bool:
        """Claim a message for this process. A claim left by a process that died mid-turn (its
        heartbeat expired) is taken over, so a redelivery after a crash is still answered."""
        self._start_heartbeat()
        mine = f"run:{self.instance}"
        ttl = self.settings.lock_timeout_s + self.settings.reply_timeout_s
        if await self.session.soft(self.short.claim(token, ttl, value=mine), True):
            return True
        owner = await self.session.soft(self.short.get_claim(token), DONE)
        if owner is None or (owner.startswith("run:") and owner != mine and not await self.session.soft(
                self.short.get_claim(f"alive:{owner[4:]}"), "1")):
            log.warning("taking over a turn whose process stopped answering")
            await self.session.soft(self.short.set_claim(token, mine, ttl), None)
            return True
        return False

    def _start_heartbeat(self) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._beat(), name="botcore-heartbeat")

    async def _beat(self) -> None:
        me = asyncio.current_task()
        every = min(HEARTBEAT_S, max(0.5, self.settings.handoff_timeout_s / 4))
        # A cancellation swallowed somewhere below (a sweep's storage call) must still end the
        # loop, or closing the event loop waits for it forever.
        while me is None or not me.cancelling():
            await self.session.soft(self.short.set_claim(f"alive:{self.instance}", "1",
                                                  HEARTBEAT_S * 3), None)
            try:
                await self.handoff.sweep()
            except Exception:  # the heartbeat must outlive any sweep failure
                log.exception("handoff sweep failed")
            await asyncio.sleep(every)

    async def _claimed(self, message: IncomingMessage, key: ConversationKey,
                       stream: ReplyStream | None,
                       started: float) -> tuple[list[OutgoingMessage], bool]:
        """The turn once claimed; the flag says whether it is finished for good."""
        notice = await self._rate_limited(message)
        if notice is not None:
            return notice, True
        try:
            cfg = await self.session.chat_settings(message)
            if cfg.get("memory_scope") == "shared":
                key = message.conversation_key(shared_group_memory=True)
            async with self.session.lock(key):
                return await self._turn(message, key, stream, started, cfg), True
        except StorageUnavailable:
            log.error("turn platform=%s outcome=storage_unavailable", message.platform)
            metrics.observe_error(message.platform, "storage_unavailable")
            return [self._notice(message, STORAGE_DOWN.render(_lang(message)))], False
        except StorageError as exc:
            log.error("turn platform=%s outcome=storage_error: %s", message.platform, exc)
            metrics.observe_error(message.platform, "storage_error")
            return [self._notice(message, STORAGE_DOWN.render(_lang(message)))], True

    @staticmethod
    def _edit_suffix(message: IncomingMessage) -> str:
        """Each distinct edit of a message is a new turn; a redelivered edit is not."""
        if not message.edited:
            return ""
        return ":edit:" + hashlib.sha1(message.text.encode("utf-8", "replace")).hexdigest()[:12]

    def _dedupe_token(self, message: IncomingMessage) -> str:
        return "dedupe:" + _opaque(f"{message.platform}:{message.chat_id}:{message.message_id}"
                                   f"{self._edit_suffix(message)}")

    async def _rate_limited(self, message: IncomingMessage) -> list[OutgoingMessage] | None:
        s = self.settings
        wait = await self.session.soft(self.short.hit("user:" + _opaque(message.user_ref), s.rate_limit_user,
                                               s.rate_limit_window_s), 0.0)
        if not wait and message.chat_type != "private":
            chat = "chat:" + _opaque(f"{message.platform}:{message.chat_id}")
            wait = await self.session.soft(self.short.hit(chat, s.rate_limit_chat,
                                                          s.rate_limit_window_s), 0.0)
        if not wait:
            return None
        # One notice per window, so a flood does not turn into a flood of notices.
        window = int(time.time() // s.rate_limit_window_s)
        first = await self.session.soft(self.short.claim(f"rl-notice:{_opaque(message.user_ref)}:{window}",
                                                  s.rate_limit_window_s), True)
        log.info("turn platform=%s outcome=rate_limited wait=%.1fs", message.platform, wait)
        metrics.observe_turn(message.platform, None, "rate_limited")
        text = SLOW_DOWN.render(_lang(message), s=max(1, round(wait)))
        return [self._notice(message, text)] if first else []

    def _notice(self, message: IncomingMessage, text: str, **extra: Any) -> OutgoingMessage:
        return OutgoingMessage(text=text, chat_id=message.chat_id, thread_id=message.thread_id,
                               reply_to_message_id=message.message_id
                               if message.chat_type != "private" else None, notice=True, **extra)

    async def _answers_everything(self, message: IncomingMessage) -> bool:
        """A group where admins turned on answering every message (``/settings``)."""
        if message.chat_type == "private" or message.text.lstrip().startswith("/"):
            return False
        try:
            cfg = await self.session.chat_settings(message)
        except StorageError:
            return False
        enabled = cfg.get("enabled_channels")
        return isinstance(enabled, list) and (message.chat_id in enabled or (
            message.thread_id is not None and message.thread_id in enabled))

    async def _turn(self, message: IncomingMessage, key: ConversationKey,
                    stream: ReplyStream | None, started: float,
                    cfg: dict[str, Any]) -> list[OutgoingMessage]:
        message = await self._with_language(message, key)
        if message.callback_data is not None:
            if await self.session.blocked(message):  # a blocked user's buttons do nothing either
                return [self._notice(message, BLOCKED.render(_lang(message)))]
            return await self._button(message, key)
        note = attachment_notice(message, _lang(message))
        if note:
            return [self._notice(message, note)]
        clean = clean_text(message.text, self.settings.max_input_chars, _lang(message))
        if clean.refusal:
            return [self._notice(message, clean.refusal)]
        user = await self.session.user(message)
        if user.blocked:
            return [self._notice(message, BLOCKED.render(_lang(message)))]
        mark = staff_mark(message.reply_to_text)
        if mark is not None and not message.is_command and self.handoff.is_staff(message):
            return [self._notice(message, await self.handoff.staff_reply(message, mark, clean.text))]
        if message.is_command:
            return await self._command(message, key, clean.text)
        return await self._chat(message, key, clean.text, clean.truncated, stream, started, cfg)

    async def _with_language(self, message: IncomingMessage,
                             key: ConversationKey) -> IncomingMessage:
        """The message with ``language`` set to this turn's language, which the session keeps
        (so "12+5" after Chinese messages is answered in Chinese)."""
        state = await self.session.state(key)
        lang = turn_language(message.text, known=state.get(LANG), hint=message.language)
        if state.get(LANG) != lang:
            await self.session.set_state(key, {LANG: lang})
        return replace(message, language=lang)

    async def _chat(self, message: IncomingMessage, key: ConversationKey, text: str,
                    truncated: bool, stream: ReplyStream | None,
                    started: float, cfg: dict[str, Any]) -> list[OutgoingMessage]:
        history = await self.session.history(key)
        pmid = message.message_id + self._edit_suffix(message)
        stored = await self.session.sql(lambda: self.sql.record_message(
            key, "user", text, platform_message_id=pmid, display_name=message.user_name,
            author=message.user_id))
        if not stored.created and await self.session.sql(
                lambda: self.sql.has_message(stored.conversation_id, f"reply:{pmid}")):
            log.info("turn platform=%s outcome=duplicate(sql)", message.platform)
            return []
        state = await self.session.state(key)
        prefix = ""
        if state.get(HANDOFF):
            follow = await self.handoff.follow_up(message, key, text, state)
            if follow.handled:
                log.info("turn platform=%s outcome=handoff_attached", message.platform)
                metrics.observe_turn(message.platform, "human", "attached")
                if follow.text is None:
                    return []
                await self.session.sql(lambda: self.sql.record_message(
                    key, "assistant", follow.text or "", skill="human",
                    platform_message_id=f"reply:{pmid}", author=message.user_id))
                return [self._notice(message, follow.text)]
            prefix = (follow.text + "\n\n") if follow.text else ""
            state = await self.session.state(key)
        if wants_human(text):
            esc = await self.handoff.open(message, key, text, "user")
            answer = prefix + (ASKED_HUMAN if esc is not None else NOTED).render(_lang(message))
            await self.session.sql(lambda: self.sql.record_message(
                key, "assistant", answer, skill="human", platform_message_id=f"reply:{pmid}",
                author=message.user_id))
            metrics.observe_turn(message.platform, "human", "escalated")
            return [self._notice(message, answer)]
        if state.get("quiz"):
            result = await self.commands.answer_quiz(message, key, state["quiz"], text)
            await self.session.sql(lambda: self.sql.record_message(
                key, "assistant", result.text, skill="tutor", platform_message_id=f"reply:{pmid}",
                author=message.user_id))
            return [self._notice(message, result.text, buttons=result.buttons)]
        try:
            und = (await self.executor.understand([text], with_embedding=True))[0]
        except InferenceError as exc:
            log.error("understand failed: %s", exc)
            metrics.observe_error(message.platform, "inference")
            return [self._notice(message, MODEL_DOWN.render(_lang(message)))]
        reply = await self._answer(message, key, text, und, history, state, stream, cfg)
        reply.text = prefix + reply.text
        if truncated:
            reply.text = TRUNCATED.render(_lang(message), n=self.settings.max_input_chars) + reply.text
        latency = (time.perf_counter() - started) * 1000
        bot = await self.session.sql(lambda: self.sql.record_message(
            key, "assistant", reply.text, skill=reply.skill, platform_message_id=f"reply:{pmid}",
            latency_ms=latency, meta=reply.meta or None, author=message.user_id))
        now = time.time()
        await self.session.soft(self.short.append_turns(key, [
            Turn("user", text, reply.skill, now), Turn("assistant", reply.text, reply.skill, now)]),
            None)
        if reply.skill:
            reply.state.setdefault("skill", reply.skill)
        if reply.state and reply.state != {"skill": state.get("skill")}:
            await self.session.set_state(key, reply.state)
        # A message flagged as injection teaches no facts (they would sit in every later prompt).
        self._remember(message, key, text, stored.id, flagged=is_injection(text, und.safety))
        log.info("turn platform=%s skill=%s outcome=answered ms=%.0f", message.platform,
                 reply.skill, latency)
        metrics.observe_turn(message.platform, reply.skill, "answered", latency / 1000)
        if reply.meta.get("error"):
            metrics.observe_error(message.platform, str(reply.meta["error"]))
        log.debug("turn text=%r reply=%r", text, reply.text)
        buttons = reply.buttons or ((Button("👍", f"fb:1:{bot.id}"), Button("👎", f"fb:-1:{bot.id}")),)
        return [OutgoingMessage(
            text=reply.text, chat_id=message.chat_id, thread_id=message.thread_id,
            reply_to_message_id=message.message_id if message.chat_type != "private" else None,
            buttons=buttons, turn_id=bot.id, skill=reply.skill)]

    async def _answer(self, message: IncomingMessage, key: ConversationKey, text: str,
                      und: Understanding, history: list[Turn], state: dict[str, str],
                      stream: ReplyStream | None, cfg: dict[str, Any]) -> SkillReply:
        check = screen_input(text, und.safety)
        if check.verdict is Verdict.CRISIS:
            name = state.get("user_name") or message.user_name
            crisis = SkillReply(crisis_reply(self.settings.crisis_resources, name, _lang(message),
                                             self.settings.crisis_resources_zh),
                                skill="companion", meta={"safety": "crisis"})
            await self.handoff.open(message, key, text, "safety")
            return crisis
        if check.verdict is Verdict.UNSAFE_SEXUAL:
            return SkillReply(UNSAFE_SEXUAL_REPLY.render(_lang(message)), skill=state.get("skill"),
                              meta={"safety": "sexual"})
        if check.verdict is Verdict.ABUSE:
            strikes = await self.session.soft(self.short.hit(
                "abuse:" + _opaque(message.user_ref), ABUSE_STRIKES, ABUSE_WINDOW_S), 0.0)
            text = (ABUSE_PAUSE.render(_lang(message), m=max(1, round(strikes / 60))) if strikes
                    else ABUSE_REPLY.render(_lang(message)))
            return SkillReply(text, skill=state.get("skill"), meta={"safety": "abuse"})
        if check.verdict is Verdict.INJECTION:
            return SkillReply(INJECTION_REPLY.render(_lang(message)), skill=state.get("skill"),
                              meta={"safety": "prompt_injection"})
        allowed = self.allowed_skills(cfg)
        default = cfg.get("default_skill") or (
            self.settings.default_skill if self.settings.default_skill != "auto" else None)
        mode = state.get("mode")
        pinned = mode if mode in allowed else (default if default in allowed else None)
        if len(allowed) == 1:
            pinned = allowed[0]
        settings = self.settings
        if cfg.get("persona"):
            settings = settings.model_copy(update={"persona": str(cfg["persona"])[:300]})
        hit: FaqAnswer | None = None
        if pinned in (None, "faq") and "faq" in allowed:
            try:
                hit = await self.faq.search(text, embedding=und.embedding)
            except InferenceError as exc:
                log.warning("faq search failed: %s", exc)
        current = state.get("skill")
        skill = choose_skill({k: v for k, v in und.scores.items() if k in allowed}, pinned=pinned,
                             current=current if current in allowed else None,
                             faq_hit=bool(hit and hit.id))
        if skill not in allowed:
            skill = "faq" if "faq" in allowed else allowed[0]
        if skill in ("companion", "assistant") and not pinned and "tutor" in allowed:
            exact = solve_problem(text)  # a sum or an equation gets exact steps, not a guess
            if (exact is not None and exact.kind != "word") or (
                    und.scores.get("tutor", 0.0) >= TUTOR_FALLBACK and asks_for_number(text)):
                skill = "tutor"  # where the model's numbers are checked
        stored_facts, summary = await self.session.recall(key, message)
        fact_texts = [f for f, _ in stored_facts]
        remembered = answer_from_memory(text, _lang(message), fact_texts)
        if remembered is not None and "companion" in allowed:  # quoted, never generated
            return SkillReply(remembered, skill="companion", meta={"memory_answer": True})
        facts = rank_facts(und.embedding, stored_facts, k=5)
        ctx = TurnContext(
            message=message, key=key, text=text, understanding=und, history=history, facts=facts,
            state=state, settings=settings, generate=self._generator(message, skill, stream),
            services=SkillServices(faq_index=self.faq, faq_hit=hit,
                                   injection=check.verdict is Verdict.INJECTION),
            summary=summary[0] if summary else None,
        )
        try:
            reply = await SKILL_HANDLERS[skill](ctx)
        except InferenceTimeout:
            return SkillReply(TOO_SLOW.render(_lang(message)), skill=skill, meta={"error": "timeout"})
        except InferenceError as exc:
            log.error("generation failed: %s", exc)
            return SkillReply(MODEL_DOWN.render(_lang(message)), skill=skill,
                              meta={"error": "inference"})
        if skill != "faq" and fact_texts:  # a generated reply keeps stored names as they are
            reply.text = keep_names_verbatim(reply.text, stored_names(fact_texts))
        reply.text = screen_output(reply.text, self.settings.secrets_in_prompt,
                                   _lang(message)).strip() or NO_WORDS.render(_lang(message))
        reply.skill = reply.skill or skill
        if reply.meta.get("escalate"):
            reason = reply.meta["escalate"] if isinstance(reply.meta["escalate"], str) else skill
            await self.handoff.open(message, key, text, reason)
        return reply

    def _generator(self, message: IncomingMessage, skill: str,
                   stream: ReplyStream | None) -> Any:
        settings = self.settings
        request_id = f"{message.platform}:{message.chat_id}:{message.message_id}"

        async def generate(messages: list[ChatTurn], *, temperature: float = 0.7,
                           max_new_tokens: int | None = None, live: bool = True) -> str:
            out = stream if live else None  # checked text is shown only once it is final
            request = GenerateRequest(
                request_id=request_id, skill=skill, messages=messages,
                max_new_tokens=min(max_new_tokens or settings.max_new_tokens,
                                   settings.max_new_tokens),
                temperature=temperature, stream=out is not None,
                stop=["<|im_end|>", "\nUser:", "\nuser:"],
            )
            parts: list[str] = []
            # Every delta is screened like the final reply: a tail that could start the canary
            # is held back, and after a leak nothing more is shown (#12).
            screen = StreamScreen(settings.secrets_in_prompt)
            shown = [""]

            async def on_delta(delta: str) -> None:
                parts.append(delta)
                visible = screen.visible("".join(parts))
                if out is not None and visible and visible != shown[0]:
                    shown[0] = visible
                    try:
                        await out.update(visible)
                    except BotcoreError as exc:  # a failed edit must not lose the answer
                        log.warning("stream update failed: %s", exc)

            try:
                result = await asyncio.wait_for(
                    self.executor.generate(request, on_delta if out is not None else None,
                                           **status_hook(self.executor, stream)),
                    settings.reply_timeout_s)
            except TimeoutError as exc:
                raise InferenceTimeout(f"no reply within {settings.reply_timeout_s}s") from exc
            return result.text

        return generate

    def _remember(self, message: IncomingMessage, key: ConversationKey, text: str,
                  message_id: int, *, flagged: bool = False) -> None:
        """Store stated facts (with embeddings) and roll the summary, in the background; a
        message ``flagged`` as prompt injection teaches no facts."""
        facts = extract_facts(text) if message.chat_type != "channel" and not flagged else []
        scope = fact_scope(message)

        async def store() -> None:
            try:
                if facts:
                    vectors = await self._embed_or_none([f.text for f in facts])
                    for i, fact in enumerate(facts):
                        await self.session.sql(lambda f=fact, i=i: self.sql.add_fact(  # type: ignore[misc]
                            message.platform, message.user_id, f.text,
                            source_message_id=message_id,
                            embedding=vectors[i] if vectors else None, scope=scope))
                        if fact.name and key.user_id is not None:  # not a shared group's state
                            await self.session.set_state(key, {"user_name": fact.name})
                count = (self.session.since_summary.get(str(key)) or 0) + 1
                self.session.since_summary.set(str(key), count % SUMMARY_EVERY)
                if count >= SUMMARY_EVERY:  # every few turns, not on each one
                    await self._roll_summary(key)
                self.session.recall_cache.pop((str(key), message.platform, message.user_id))
            except StorageError as exc:
                log.warning("could not update long-term memory: %s", exc)

        self.session.spawn(store())

    async def _embed_or_none(self, texts: list[str]) -> list[list[float]] | None:
        try:
            return await self.executor.embed(texts)
        except InferenceError as exc:
            log.warning("could not embed facts (stored without): %s", exc)
            return None

    async def _roll_summary(self, key: ConversationKey) -> None:
        """When enough turns have left the prompt window, summarize them."""
        window = self.settings.recent_turns
        latest = await self.sql.latest_summary(key)
        upto = latest[1] if latest else 0
        pending = await self.sql.turns_between(key, upto, 4 * window)
        if len(pending) < 2 * window:
            return
        older = pending[:-window]
        previous = latest[0].removeprefix("The user said: ") + " | " if latest else ""
        text = extractive_summary([*([Turn("user", previous.rstrip(" |"))] if previous else []),
                                   *(t for _, t in older)])
        if text:
            await self.sql.add_summary(key, text, older[-1][0])

    # commands and buttons --------------------------------------------------------------------

    async def _command(self, message: IncomingMessage, key: ConversationKey,
                       text: str) -> list[OutgoingMessage]:
        result = await self.commands.command(message, key, text)
        log.info("turn platform=%s command=%s outcome=answered", message.platform,
                 cmd.parse_command(text)[0])
        metrics.observe_turn(message.platform, None, "command")
        return [self._result(message, result)]

    def _result(self, message: IncomingMessage, result: cmd.CommandResult) -> OutgoingMessage:
        """A command's or button's answer; a private one asked in a group is addressed to the
        user only (see :class:`~botcore.messages.PrivateDelivery`)."""
        private = None
        if result.private and message.chat_type is not ChatType.PRIVATE:
            lang = _lang(message)
            private = PrivateDelivery(message.user_id, SENT_PRIVATELY.render(lang),
                                      NO_PRIVATE_CHAT.render(lang))
        return self._notice(message, result.text, buttons=result.buttons, file=result.file,
                            private=private)

    async def _button(self, message: IncomingMessage,
                      key: ConversationKey) -> list[OutgoingMessage]:
        result = await self.commands.button(message, key)
        return [self._result(message, result)]

    async def admin(self, message: IncomingMessage, args: str) -> str:
        """``/admin …``: only for ``BOTCORE_ADMIN_IDS``; every use (refusals too) is audited."""
        s = self.session
        return await handle_admin_command(AdminContext(s.settings, s.long_term, s.short_term),
                                          message, args)

    def allowed_skills(self, cfg: dict[str, Any]) -> tuple[str, ...]:
        """Skills that may answer: ``BOTCORE_SKILLS``, narrowed by the chat's ``skills``."""
        return self.session.allowed_skills(cfg)

    def forget_chat_settings(self, platform: str, scope: str) -> None:
        """Drop this process's cached settings of one chat (after ``/settings`` changed them)."""
        self.session.forget_chat_settings(platform, scope)

    def forget_caches(self) -> None:
        """Drop this process's short-lived copies of users and recall (after /link, /forget…)."""
        self.session.forget_caches()

    async def forget_user(self, platform: str, user_id: str) -> dict[str, int]:
        """Erase a user everywhere: SQL rows and short-term keys (of every linked identity, and
        the cached turns of shared group conversations they spoke in). Returns counts."""
        return await self.session.forget_user(platform, user_id)
