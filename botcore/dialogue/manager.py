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
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from botcore.config import Settings
from botcore.dialogue import commands as cmd
from botcore.dialogue.context import SkillReply, TurnContext
from botcore.dialogue.input import attachment_notice, clean_text
from botcore.dialogue.protocols import ReplyStream
from botcore.dialogue.routing import choose_skill
from botcore.errors import (
    BotcoreError,
    InferenceError,
    InferenceTimeout,
    StorageError,
    StorageUnavailable,
)
from botcore.faq.index import FaqAnswer, FaqIndex
from botcore.faq.store import create_escalation
from botcore.inference.base import ModelExecutor
from botcore.inference.payloads import ChatTurn, GenerateRequest, Understanding
from botcore.memory.base import ShortTermMemory, Turn
from botcore.memory.facts import extract_facts
from botcore.memory.local_store import LocalShortTermMemory
from botcore.memory.sql_store import SqlMemory
from botcore.messages import Button, ConversationKey, IncomingMessage, OutgoingMessage
from botcore.safety import (
    ABUSE_REPLY,
    UNSAFE_SEXUAL_REPLY,
    Verdict,
    crisis_reply,
    screen_input,
    screen_output,
)
from botcore.skills import SKILL_HANDLERS

log = logging.getLogger(__name__)
T = TypeVar("T")

SLOW_DOWN = "You're sending messages faster than I can read them. Please wait {s} seconds."
STORAGE_DOWN = ("Sorry, I can't reach my memory right now. Please send that again in a minute — "
                "nothing you sent was lost.")
MODEL_DOWN = "Sorry, I'm having trouble thinking right now. Please try again in a moment."
TOO_SLOW = "Sorry, that took me too long. Please try again (or ask something shorter)."
TRUNCATED = "(Your message was very long, so I only read the first {n} characters.)\n\n"
BLOCKED = "An administrator has paused this bot for your account."
UNKNOWN_COMMAND = "I don't know the command /{name}. Type /help to see what I can do."


class DialogueManager:
    """Implements :class:`botcore.dialogue.protocols.TurnHandler` for every adapter."""

    def __init__(self, settings: Settings, short_term: ShortTermMemory, long_term: SqlMemory,
                 executor: ModelExecutor, *, sql_retry_s: float = 15.0) -> None:
        self.settings = settings
        self.short = short_term
        self.sql = long_term
        self.executor = executor
        self.sql_retry_s = sql_retry_s
        self.faq = FaqIndex(long_term, executor, threshold=settings.faq_threshold)
        self._fallback = LocalShortTermMemory()
        self._background: set[asyncio.Task[Any]] = set()
        self._order: dict[str, asyncio.Lock] = {}

    async def aclose(self) -> None:
        """Wait for background memory updates to finish."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    # resilience helpers ----------------------------------------------------------------------

    async def _soft(self, op: Awaitable[T], default: T) -> T:
        """A short-term (Redis) call that must not break the turn when Redis is down."""
        try:
            return await op
        except StorageUnavailable as exc:
            log.warning("short-term memory unavailable, continuing without it: %s", exc)
            return default

    async def _sql(self, fn: Callable[[], Awaitable[T]]) -> T:
        """A SQL call, retried with backoff while the database is unavailable."""
        deadline = time.monotonic() + self.sql_retry_s
        delay = 0.2
        while True:
            try:
                return await fn()
            except StorageUnavailable:
                if time.monotonic() + delay > deadline:
                    raise
                log.warning("database unavailable, retrying in %.1fs", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    @asynccontextmanager
    async def _lock(self, key: ConversationKey) -> AsyncIterator[None]:
        try:
            cm = self.short.lock(f"conv:{key}", self.settings.lock_timeout_s)
            await cm.__aenter__()
        except StorageUnavailable:
            async with self._fallback.lock(f"conv:{key}", self.settings.lock_timeout_s):
                yield
            return
        try:
            yield
        finally:
            await cm.__aexit__(None, None, None)

    # the turn --------------------------------------------------------------------------------

    async def handle(self, message: IncomingMessage,
                     stream: ReplyStream | None = None) -> list[OutgoingMessage]:
        """Answer one message (see :class:`~botcore.dialogue.protocols.TurnHandler`)."""
        if not message.addressed and message.callback_data is None:
            return []
        started = time.perf_counter()
        key = message.conversation_key()
        # Taken before any other await, so this process answers a conversation in arrival order.
        async with self._in_order(key):
            return await self._handle(message, key, stream, started)

    @asynccontextmanager
    async def _in_order(self, key: ConversationKey) -> AsyncIterator[None]:
        name = str(key)
        lock = self._order.setdefault(name, asyncio.Lock())
        async with lock:
            yield
        if not lock.locked() and not getattr(lock, "_waiters", None):
            self._order.pop(name, None)

    async def _handle(self, message: IncomingMessage, key: ConversationKey,
                      stream: ReplyStream | None, started: float) -> list[OutgoingMessage]:
        token = self._dedupe_token(message)
        if not await self._soft(self.short.claim(token, self.settings.dedupe_ttl_s), True):
            log.info("turn platform=%s outcome=duplicate", message.platform)
            return []
        notice = await self._rate_limited(message)
        if notice is not None:
            return notice
        try:
            async with self._lock(key):
                return await self._turn(message, key, stream, started)
        except StorageUnavailable:
            await self._soft(self.short.release(token), None)
            log.error("turn platform=%s outcome=storage_unavailable", message.platform)
            return [self._notice(message, STORAGE_DOWN)]
        except StorageError as exc:
            log.error("turn platform=%s outcome=storage_error: %s", message.platform, exc)
            return [self._notice(message, STORAGE_DOWN)]

    @staticmethod
    def _dedupe_token(message: IncomingMessage) -> str:
        base = f"dedupe:{message.platform}:{message.chat_id}:{message.message_id}"
        if message.edited:  # each distinct edit is a new turn; a redelivered edit is not
            digest = hashlib.sha1(message.text.encode("utf-8", "replace")).hexdigest()[:12]
            base += f":edit:{digest}"
        return base

    async def _rate_limited(self, message: IncomingMessage) -> list[OutgoingMessage] | None:
        s = self.settings
        wait = await self._soft(self.short.hit(f"user:{message.user_ref}", s.rate_limit_user,
                                               s.rate_limit_window_s), 0.0)
        if not wait and message.chat_type != "private":
            wait = await self._soft(self.short.hit(f"chat:{message.platform}:{message.chat_id}",
                                                   s.rate_limit_chat, s.rate_limit_window_s), 0.0)
        if not wait:
            return None
        # One notice per window, so a flood does not turn into a flood of notices.
        window = int(time.time() // s.rate_limit_window_s)
        first = await self._soft(self.short.claim(f"rl-notice:{message.user_ref}:{window}",
                                                  s.rate_limit_window_s), True)
        log.info("turn platform=%s outcome=rate_limited wait=%.1fs", message.platform, wait)
        return [self._notice(message, SLOW_DOWN.format(s=max(1, round(wait))))] if first else []

    def _notice(self, message: IncomingMessage, text: str, **extra: Any) -> OutgoingMessage:
        return OutgoingMessage(text=text, chat_id=message.chat_id, thread_id=message.thread_id,
                               reply_to_message_id=message.message_id
                               if message.chat_type != "private" else None, notice=True, **extra)

    async def _turn(self, message: IncomingMessage, key: ConversationKey,
                    stream: ReplyStream | None, started: float) -> list[OutgoingMessage]:
        if message.callback_data is not None:
            return await self._button(message, key)
        note = attachment_notice(message)
        if note:
            return [self._notice(message, note)]
        clean = clean_text(message.text, self.settings.max_input_chars)
        if clean.refusal:
            return [self._notice(message, clean.refusal)]
        user = await self._sql(lambda: self.sql.ensure_user(message.platform, message.user_id,
                                                            message.user_name))
        if user.blocked:
            return [self._notice(message, BLOCKED)]
        if message.is_command:
            return await self._command(message, key, clean.text)
        return await self._chat(message, key, clean.text, clean.truncated, stream, started)

    async def _state(self, key: ConversationKey) -> dict[str, str]:
        """Session state from the cache, rebuilt from SQL on a miss."""
        state = await self._soft(self.short.get_state(key), {})
        if state:
            return state
        state = await self._sql(lambda: self.sql.get_state(key))
        if state:
            await self._soft(self.short.set_state(key, state), None)
        return state

    async def _set_state(self, key: ConversationKey, values: dict[str, str | None]) -> None:
        """Write-through: SQL holds the durable copy (durable fields only), Redis the cache."""
        await self._soft(self.short.set_state(key, values), None)
        await self._sql(lambda: self.sql.set_state(key, values))

    async def _history(self, key: ConversationKey) -> list[Turn]:
        n = self.settings.recent_turns
        cached = await self._soft(self.short.recent_turns(key, n), None)
        if cached is not None:
            return cached
        turns = await self._sql(lambda: self.sql.recent_turns(key, n))
        await self._soft(self.short.replace_turns(key, turns), None)
        return turns

    async def _chat(self, message: IncomingMessage, key: ConversationKey, text: str,
                    truncated: bool, stream: ReplyStream | None,
                    started: float) -> list[OutgoingMessage]:
        history = await self._history(key)
        pmid = message.message_id + (":edit:" + self._dedupe_token(message)[-12:]
                                     if message.edited else "")
        stored = await self._sql(lambda: self.sql.record_message(
            key, "user", text, platform_message_id=pmid, display_name=message.user_name))
        if not stored.created:
            log.info("turn platform=%s outcome=duplicate(sql)", message.platform)
            return []
        state = await self._state(key)
        try:
            und = (await self.executor.understand([text], with_embedding=True))[0]
        except InferenceError as exc:
            log.error("understand failed: %s", exc)
            return [self._notice(message, MODEL_DOWN)]
        reply = await self._answer(message, key, text, und, history, state, stream)
        if truncated:
            reply.text = TRUNCATED.format(n=self.settings.max_input_chars) + reply.text
        latency = (time.perf_counter() - started) * 1000
        bot = await self._sql(lambda: self.sql.record_message(
            key, "assistant", reply.text, skill=reply.skill, platform_message_id=f"reply:{pmid}",
            latency_ms=latency, meta=reply.meta or None))
        now = time.time()
        await self._soft(self.short.append_turns(key, [
            Turn("user", text, reply.skill, now), Turn("assistant", reply.text, reply.skill, now)]),
            None)
        if reply.skill:
            reply.state.setdefault("skill", reply.skill)
        if reply.state and reply.state != {"skill": state.get("skill")}:
            await self._set_state(key, reply.state)
        self._remember(message, text, stored.id, reply)
        log.info("turn platform=%s skill=%s outcome=answered ms=%.0f", message.platform,
                 reply.skill, latency)
        log.debug("turn text=%r reply=%r", text, reply.text)
        buttons = reply.buttons or ((Button("👍", f"fb:1:{bot.id}"), Button("👎", f"fb:-1:{bot.id}")),)
        return [OutgoingMessage(
            text=reply.text, chat_id=message.chat_id, thread_id=message.thread_id,
            reply_to_message_id=message.message_id if message.chat_type != "private" else None,
            buttons=buttons, turn_id=bot.id, skill=reply.skill)]

    async def _answer(self, message: IncomingMessage, key: ConversationKey, text: str,
                      und: Understanding, history: list[Turn], state: dict[str, str],
                      stream: ReplyStream | None) -> SkillReply:
        check = screen_input(text, und.safety)
        if check.verdict is Verdict.CRISIS:
            name = state.get("user_name") or message.user_name
            return SkillReply(crisis_reply(self.settings.crisis_resources, name), skill="companion",
                              meta={"safety": "crisis"})
        if check.verdict is Verdict.UNSAFE_SEXUAL:
            return SkillReply(UNSAFE_SEXUAL_REPLY, skill=state.get("skill"),
                              meta={"safety": "sexual"})
        if check.verdict is Verdict.ABUSE:
            return SkillReply(ABUSE_REPLY, skill=state.get("skill"), meta={"safety": "abuse"})
        pinned = state.get("mode")
        hit: FaqAnswer | None = None
        if pinned in (None, "faq"):
            try:
                hit = await self.faq.search(text, embedding=und.embedding)
            except InferenceError as exc:
                log.warning("faq search failed: %s", exc)
        skill = choose_skill(und.scores, pinned=pinned, current=state.get("skill"),
                             faq_hit=bool(hit and hit.id))
        facts = [f.text for f in await self._sql(
            lambda: self.sql.list_facts(message.platform, message.user_id))][-12:]
        ctx = TurnContext(
            message=message, key=key, text=text, understanding=und, history=history, facts=facts,
            state=state, settings=self.settings, generate=self._generator(message, skill, stream),
            services={"faq_index": self.faq, "faq_hit": hit, "sql": self.sql,
                      "injection": check.verdict is Verdict.INJECTION},
        )
        try:
            reply = await SKILL_HANDLERS[skill](ctx)
        except InferenceTimeout:
            return SkillReply(TOO_SLOW, skill=skill, meta={"error": "timeout"})
        except InferenceError as exc:
            log.error("generation failed: %s", exc)
            return SkillReply(MODEL_DOWN, skill=skill, meta={"error": "inference"})
        reply.text = screen_output(reply.text, self.settings.secrets_in_prompt).strip() or (
            "Hmm, I'm not sure what to say to that. Could you put it another way?")
        reply.skill = reply.skill or skill
        if reply.meta.get("escalate"):
            await self._sql(lambda: create_escalation(self.sql, key, message.user_id, text))
        return reply

    def _generator(self, message: IncomingMessage, skill: str,
                   stream: ReplyStream | None) -> Any:
        settings = self.settings
        request_id = f"{message.platform}:{message.chat_id}:{message.message_id}"

        async def generate(messages: list[ChatTurn], *, temperature: float = 0.7,
                           max_new_tokens: int | None = None) -> str:
            request = GenerateRequest(
                request_id=request_id, skill=skill, messages=messages,
                max_new_tokens=max_new_tokens or settings.max_new_tokens,
                temperature=temperature, stream=stream is not None,
                stop=["<|im_end|>", "\nUser:", "\nuser:"],
            )
            parts: list[str] = []

            async def on_delta(delta: str) -> None:
                parts.append(delta)
                if stream is not None:
                    try:
                        await stream.update("".join(parts))
                    except BotcoreError as exc:  # a failed edit must not lose the answer
                        log.warning("stream update failed: %s", exc)

            try:
                result = await asyncio.wait_for(
                    self.executor.generate(request, on_delta if stream is not None else None),
                    settings.reply_timeout_s)
            except TimeoutError as exc:
                raise InferenceTimeout(f"no reply within {settings.reply_timeout_s}s") from exc
            return result.text

        return generate

    def _remember(self, message: IncomingMessage, text: str, message_id: int,
                  reply: SkillReply) -> None:
        """Store facts the user stated, in the background (never delays the reply)."""
        facts = extract_facts(text)
        if not facts or message.chat_type == "channel":
            return

        async def store() -> None:
            for fact in facts:
                try:
                    await self._sql(lambda f=fact: self.sql.add_fact(  # type: ignore[misc]
                        message.platform, message.user_id, f.text, source_message_id=message_id))
                    if fact.name:
                        await self._set_state(message.conversation_key(),
                                              {"user_name": fact.name})
                except StorageError as exc:
                    log.warning("could not store a fact: %s", exc)

        task = asyncio.create_task(store())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # commands and buttons --------------------------------------------------------------------

    async def _command(self, message: IncomingMessage, key: ConversationKey,
                       text: str) -> list[OutgoingMessage]:
        name, args = cmd.parse_command(text)
        state = await self._state(key)
        result: cmd.CommandResult
        if name in {"start", "help"}:
            greeting = f"Hi{', ' + message.user_name if message.user_name else ''}! "
            result = cmd.CommandResult((greeting if name == "start" else "") + cmd.HELP)
        elif name == "mode":
            mode, reply = cmd.mode_reply(args, state.get("mode"))
            await self._set_state(key, {"mode": mode, "skill": mode})
            result = cmd.CommandResult(reply)
        elif name == "hint":
            on = args.lower() not in {"off", "0", "no"}
            await self._set_state(key, {"hint_mode": "1" if on else None})
            result = cmd.CommandResult("Homework mode on: I'll give hints, not answers."
                                       if on else "Homework mode off: full explanations again.")
        elif name == "reset":
            await self._sql(lambda: self.sql.reset_conversation(key))
            await self._soft(self.short.clear(key), None)
            result = cmd.CommandResult("Fresh start! I've cleared our recent conversation "
                                       "(what I remember about you stays; /forget erases it).")
        elif name == "forget":
            result = cmd.forget_confirmation()
        elif name == "export":
            data = await self._sql(lambda: self.sql.export_user(message.platform, message.user_id))
            result = cmd.CommandResult("Here is everything I store about you.",
                                       file=cmd.export_file(message.user_ref, data))
        elif name == "memory":
            result = await self._memory_command(message, args)
        elif name == "feedback":
            result = cmd.CommandResult("Thanks! Use the 👍/👎 buttons under my answers to rate "
                                       "them, or just tell me what to improve.")
        else:
            result = cmd.CommandResult(UNKNOWN_COMMAND.format(name=name[:40] or "?"))
        log.info("turn platform=%s command=%s outcome=answered", message.platform, name)
        return [self._notice(message, result.text, buttons=result.buttons, file=result.file)]

    async def _memory_command(self, message: IncomingMessage, args: str) -> cmd.CommandResult:
        parts = args.split()
        if len(parts) == 2 and parts[0] == "delete":
            facts = await self._sql(lambda: self.sql.list_facts(message.platform, message.user_id))
            if not parts[1].isdigit() or not 1 <= int(parts[1]) <= len(facts):
                return cmd.CommandResult("Use /memory delete N with a number from /memory.")
            fact = facts[int(parts[1]) - 1]
            await self._sql(lambda: self.sql.delete_fact(message.platform, message.user_id,
                                                         fact.id))
            return cmd.CommandResult(f"Forgotten: {fact.text}")
        facts = await self._sql(lambda: self.sql.list_facts(message.platform, message.user_id))
        if not facts:
            return cmd.CommandResult("I don't remember anything about you yet.")
        lines = "\n".join(f"{i}. {f.text}" for i, f in enumerate(facts, 1))
        return cmd.CommandResult(f"Here's what I remember about you:\n{lines}\n\n"
                                 "Use /memory delete N to remove one.")

    async def _button(self, message: IncomingMessage,
                      key: ConversationKey) -> list[OutgoingMessage]:
        data = message.callback_data or ""
        if data == "forget:yes":
            report = await self.forget_user(message.platform, message.user_id)
            total = sum(report.values())
            return [self._notice(message, f"Done. I erased everything I stored about you "
                                          f"({total} records).")]
        if data == "forget:no":
            return [self._notice(message, "Okay, I kept everything as it was.")]
        if data.startswith("fb:"):
            try:
                _, value, mid = data.split(":")
                ok = await self._sql(lambda: self.sql.record_feedback(
                    int(mid), message.platform, message.user_id, int(value)))
            except ValueError:
                ok = False
            return [self._notice(message, "Thanks for the feedback!" if ok
                                 else "I couldn't record that feedback.")]
        return [self._notice(message, "That button has expired. Type /help to see what I can do.")]

    async def forget_user(self, platform: str, user_id: str) -> dict[str, int]:
        """Erase a user everywhere: SQL rows and short-term keys. Returns counts."""
        rows = await self._sql(lambda: self.sql.forget_user(platform, user_id))
        keys = await self._soft(self.short.forget_user(platform, user_id), 0)
        self._fallback = LocalShortTermMemory()
        return {**rows, "short_term_keys": keys}
