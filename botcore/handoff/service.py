"""The handoff loop, as the dialogue manager runs it.

1. :meth:`Handoff.open` (the FAQ had no answer, the user asked for a human, or safety asked for
   one): one escalation per conversation (a repeat is attached to the open one); when someone can
   be reached, staff are notified through the SQL outbox — the staff chat
   (``BOTCORE_STAFF_CHAT``), else a DM to each ``BOTCORE_ADMIN_IDS`` identity — and the outbox
   loops of this process are woken, so the notice leaves at once; the conversation enters
   *human mode* (session state ``handoff``).
2. :meth:`Handoff.follow_up`: in human mode the bot does not answer; the first new message gets
   one acknowledgement, every message is attached to the escalation and forwarded to staff.
3. :meth:`Handoff.staff_reply`: a staff member replies to a notice (reply-to-message, or
   ``/reply N text``): the answer goes to the user, the escalation is resolved, the bot answers
   again. ``/resolve N`` closes it without a message.
4. :meth:`Handoff.sweep` (every few seconds in each bot process): an escalation left unanswered
   for ``BOTCORE_HANDOFF_TIMEOUT_S`` is closed as ``expired`` and the user gets an apology; the
   bot answers again. The close is a conditional UPDATE, so several processes apologise once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from botcore.admin import escalations as esc_admin
from botcore.admin import outbox
from botcore.admin.broadcast import enqueue_direct
from botcore.dialogue.session import Session
from botcore.errors import BotcoreError, InputError
from botcore.handoff import store as hstore
from botcore.i18n import Text, detect_language
from botcore.memory import sql_models as m
from botcore.messages import ConversationKey, IncomingMessage

log = logging.getLogger(__name__)

STATE = "handoff"
ACKED = "handoff_ack"
CONTEXT_TURNS = 6
OUTBOX_PLATFORMS_SKIPPED = frozenset({"console"})
"""Platforms without an outbox consumer: staff there cannot be notified."""

ASKED_HUMAN = Text("Of course — I've asked a colleague to join. They'll answer you here as soon "
                   "as they can.",
                   "好的——我已经请同事来处理，他们会尽快在这里回复你。")
NOTED = Text("I've noted your request for our team; they'll look at it. Meanwhile I'm still "
             "here to help.",
             "我已经把你的请求记录下来交给团队处理。在此期间，我仍然可以帮你。")
ACK = Text("A colleague has your question — I've added this message to it. They'll answer you "
           "here.",
           "同事已经收到你的问题——我把这条消息也附上了。他们会在这里回复你。")
TIMED_OUT = Text("Sorry — no colleague could get to your question in time. I'm back and will do "
                 "my best to help; you can ask for a human again at any time.",
                 "抱歉——同事没能及时处理你的问题。我回来了，会尽力帮你；你随时可以再次要求转人工。")
NOTICE = Text("🔔 #{id} · needs a human ({reason}) · {who}\nQuestion: {question}\n"
              "Recent conversation:\n{context}\n\n↩️ Reply to this message to answer "
              "(your reply is sent to the user and closes #{id}), or /resolve {id} to close it "
              "without a message.",
              "🔔 #{id} · 需要人工处理（{reason}）· {who}\n问题：{question}\n最近的对话：\n"
              "{context}\n\n↩️ 回复这条消息即可作答（你的回复会发给用户，并关闭 #{id}），"
              "或发送 /resolve {id} 直接关闭。")
FOLLOW_UP = Text("➕ #{id} · {who} added: {text}\n↩️ Reply to this message to answer.",
                 "➕ #{id} · {who} 补充：{text}\n↩️ 回复这条消息即可作答。")
SENT = Text("✅ Sent to {who}; #{id} is resolved and the bot answers them again.",
            "✅ 已发送给 {who}；#{id} 已解决，机器人恢复回答。")
CLOSED = Text("✅ #{id} is resolved (nothing was sent); the bot answers the user again.",
              "✅ #{id} 已关闭（未发送消息）；机器人恢复回答该用户。")
NOT_OPEN = Text("#{id} is not open (it is {status}).", "#{id} 不是待处理状态（当前：{status}）。")
NO_SUCH = Text("There is no escalation #{id}.", "没有编号为 #{id} 的转人工请求。")
NOT_STAFF = Text("Only staff can do that (the staff chat or BOTCORE_ADMIN_IDS).",
                 "只有工作人员可以这样做（工作人员群或 BOTCORE_ADMIN_IDS）。")
USAGE = Text("Use /reply N your answer, /resolve N, or /escalations.",
             "用法：/reply 编号 回复内容，/resolve 编号，或 /escalations。")
NONE_OPEN = Text("No open escalations.", "没有待处理的转人工请求。")
OPEN_LIST = Text("Open escalations:\n{rows}", "待处理的转人工请求：\n{rows}")


@dataclass(frozen=True, slots=True)
class FollowUp:
    """What human mode says about one new message.

    Attributes:
        handled: the bot must not answer (the message went to the escalation).
        text: the acknowledgement to send (``None``: send nothing) when ``handled``; when not
            handled, a note to put before the bot's answer (the apology after a timeout).
    """

    handled: bool
    text: str | None = None


class Handoff:
    """Human handoff for the turns of one dialogue :class:`~botcore.dialogue.session.Session`."""

    def __init__(self, session: Session) -> None:
        self.s = session
        self._next_sweep = 0.0

    # who is staff ----------------------------------------------------------------------------

    def targets(self) -> list[tuple[str, str | None, str]]:
        """Where a notice goes: ``(platform, chat_id or None for a DM, user_id)``."""
        s = self.s.settings
        staff = s.staff_target
        if staff is not None:
            return [(staff[0], staff[1], "")]
        out: list[tuple[str, str | None, str]] = []
        for ref in sorted(s.admins):
            platform, _, uid = ref.partition(":")
            if platform not in OUTBOX_PLATFORMS_SKIPPED:
                out.append((platform, None, uid))
        return out

    @property
    def enabled(self) -> bool:
        """Someone can be notified (otherwise escalations are only listed in ``botctl``)."""
        return bool(self.targets())

    def is_staff(self, message: IncomingMessage) -> bool:
        """The message comes from the staff chat or from an admin."""
        staff = self.s.settings.staff_target
        if staff is not None and (message.platform, message.chat_id) == staff:
            return True
        return message.user_ref in self.s.settings.admins

    # the user's side -------------------------------------------------------------------------

    async def open(self, message: IncomingMessage, key: ConversationKey, question: str,
                   reason: str) -> int | None:
        """Escalate; returns the escalation id when staff were notified (human mode), else None.

        Safety asks for a human only where one can be reached (no row otherwise).
        """
        s = self.s
        if reason == "safety" and not self.enabled:
            return None
        esc_id, created = await s.sql(lambda: hstore.open_escalation(
            s.long_term, key, message.user_id, question, reason))
        if not self.enabled:
            return None
        if created:
            await self._notify_new(esc_id, message, reason, question)
        else:
            await self._forward(esc_id, message, question)
        await s.set_state(key, {STATE: str(esc_id), ACKED: None})
        log.info("handoff platform=%s escalation=%s reason=%s", message.platform, esc_id, reason)
        return esc_id

    async def follow_up(self, message: IncomingMessage, key: ConversationKey, text: str,
                        state: dict[str, str]) -> FollowUp:
        """A message while the conversation is in human mode (``state`` has ``handoff``)."""
        s = self.s
        lang = message.language or detect_language(text) or "en"
        try:
            esc_id = int(state[STATE])
        except (KeyError, ValueError):
            return FollowUp(False)
        ref = await s.sql(lambda: hstore.get_ref(s.long_term, esc_id))
        if ref is None or ref.status != hstore.OPEN:
            await self._leave(key)
            return FollowUp(False)
        if time.time() - ref.created_at.timestamp() >= s.settings.handoff_timeout_s:
            if await s.sql(lambda: hstore.expire(s.long_term, esc_id)):
                await self._leave(key)
                return FollowUp(False, TIMED_OUT.render(lang))
            await self._leave(key)
            return FollowUp(False)
        await s.sql(lambda: hstore.attach(s.long_term, esc_id))
        await self._forward(esc_id, message, text)
        if state.get(ACKED):
            return FollowUp(True)
        await s.set_state(key, {ACKED: "1"})
        return FollowUp(True, ACK.render(lang))

    async def _leave(self, key: ConversationKey) -> None:
        await self.s.set_state(key, {STATE: None, ACKED: None})

    # notices to staff ------------------------------------------------------------------------

    @staticmethod
    def _who(message: IncomingMessage) -> str:
        name = (message.user_name or "").strip()
        where = "" if message.chat_type == "private" else f" in chat {message.chat_id}"
        return f"{name + ' ' if name else ''}({message.user_ref}){where}"

    async def _notify_new(self, esc_id: int, message: IncomingMessage, reason: str,
                          question: str) -> None:
        s = self.s
        detail = await s.sql(lambda: esc_admin.get_escalation(s.long_term, esc_id,
                                                               context=CONTEXT_TURNS))
        lines = []
        for turn in detail["context"]:
            who = "user" if turn["role"] == "user" else "bot"
            lines.append(f"  {who}: {' '.join(str(turn['text']).split())[:300]}")
        lang = detect_language(question) or "en"
        text = NOTICE.render(lang, id=esc_id, reason=reason, who=self._who(message),
                             question=" ".join(question.split())[:1000],
                             context="\n".join(lines) or "  -")
        await self._send(esc_id, text)
        await s.sql(lambda: hstore.mark_notified(s.long_term, esc_id))

    async def _forward(self, esc_id: int, message: IncomingMessage, text: str) -> None:
        lang = detect_language(text) or "en"
        await self._send(esc_id, FOLLOW_UP.render(lang, id=esc_id, who=self._who(message),
                                                  text=" ".join(text.split())[:1500]))

    async def _send(self, esc_id: int, text: str) -> None:
        s = self.s
        woken: set[str] = set()
        for platform, chat_id, user_id in self.targets():
            await s.sql(lambda p=platform, c=chat_id, u=user_id: enqueue_direct(  # type: ignore[misc]
                s.long_term, user_id=None, platform=p, platform_user_id=u, chat_id=c, thread_id=None,
                text=text, actor="bot", kind="handoff", label=f"escalation #{esc_id} staff"))
            woken.add(platform)
        for platform in woken:
            outbox.wake(platform)

    # the staff's side ------------------------------------------------------------------------

    async def staff_reply(self, message: IncomingMessage, esc_id: int, text: str) -> str:
        """Send a staff member's answer to the user and resolve the escalation."""
        s = self.s
        lang = message.language or detect_language(text) or "en"
        if not self.is_staff(message):
            return NOT_STAFF.render(lang)
        ref = await s.sql(lambda: hstore.get_ref(s.long_term, esc_id))
        if ref is None:
            return NO_SUCH.render(lang, id=esc_id)
        if ref.status != hstore.OPEN:
            return NOT_OPEN.render(lang, id=esc_id, status=ref.status)
        if not text.strip():
            return USAGE.render(lang)
        try:
            res = await s.sql(lambda: esc_admin.reply(s.long_term, None, esc_id, text,
                                                       f"{message.user_ref} (chat)"))
        except InputError as exc:
            return str(exc)
        if ref.key is not None:
            await s.soft(s.short_term.set_state(ref.key, {STATE: None, ACKED: None}), None)
            await s.soft(s.short_term.replace_turns(ref.key, await s.sql(
                lambda: s.long_term.recent_turns(ref.key, s.settings.recent_turns))), None)  # type: ignore[arg-type]
            outbox.wake(ref.key.platform)
        await s.sql(lambda: s.long_term.audit(message.user_ref, "escalations.reply",
                                          f"escalation:{esc_id}",
                                          {"broadcast_id": res["broadcast_id"]}))
        return SENT.render(lang, who=res["user"], id=esc_id)

    async def staff_command(self, message: IncomingMessage, name: str, args: str) -> str:
        """``/reply N text``, ``/resolve N``, ``/escalations`` (staff only)."""
        s = self.s
        lang = message.language or detect_language(args) or "en"
        if not self.is_staff(message):
            return NOT_STAFF.render(lang)
        if name == "escalations":
            rows = await s.sql(lambda: esc_admin.list_escalations(s.long_term, "open", 20))
            if not rows:
                return NONE_OPEN.render(lang)
            return OPEN_LIST.render(lang, rows="\n".join(
                f"#{r['id']} · {r['user']} · waiting {r['waiting']} · {r['question'][:80]}"
                for r in rows))
        head, _, rest = args.strip().partition(" ")
        if not head.lstrip("#").isdigit():
            return USAGE.render(lang)
        esc_id = int(head.lstrip("#"))
        if name == "reply":
            return await self.staff_reply(message, esc_id, rest)
        ref = await s.sql(lambda: hstore.get_ref(s.long_term, esc_id))
        if ref is None:
            return NO_SUCH.render(lang, id=esc_id)
        await s.sql(lambda: esc_admin.resolve(s.long_term, esc_id, rest.strip() or None))
        if ref.key is not None:
            await s.soft(s.short_term.set_state(ref.key, {STATE: None, ACKED: None}), None)
        return CLOSED.render(lang, id=esc_id)

    # timeouts --------------------------------------------------------------------------------

    async def sweep(self, *, force: bool = False) -> int:
        """Hand back conversations whose escalation waited longer than the timeout (at most
        every few seconds unless ``force``); returns how many."""
        s = self.s
        now = time.monotonic()
        if not force and now < self._next_sweep:
            return 0
        self._next_sweep = now + min(30.0, max(0.5, s.settings.handoff_timeout_s / 4))
        try:
            refs = await hstore.overdue(s.long_term, s.settings.handoff_timeout_s)
            done = 0
            for ref in refs:
                if ref.key is None or not await hstore.expire(s.long_term, ref.id):
                    continue
                done += 1
                await s.long_term.set_state(ref.key, {STATE: None, ACKED: None})
                await s.soft(s.short_term.set_state(ref.key, {STATE: None, ACKED: None}), None)
                if ref.key.platform in OUTBOX_PLATFORMS_SKIPPED or ref.key.user_id is None:
                    continue
                lang = await self._user_lang(ref)
                await enqueue_direct(
                    s.long_term, user_id=ref.user_id, platform=ref.key.platform,
                    platform_user_id=ref.key.user_id, chat_id=ref.key.chat_id,
                    thread_id=ref.key.thread_id, text=TIMED_OUT.render(lang), actor="bot",
                    kind="handoff", label=f"escalation #{ref.id} timeout")
                outbox.wake(ref.key.platform)
                log.info("handoff escalation=%s outcome=expired", ref.id)
            return done
        except BotcoreError as exc:
            log.warning("handoff sweep failed: %s", exc)
            return 0

    async def _user_lang(self, ref: hstore.EscalationRef) -> str:
        async with self.s.long_term.session() as db:
            e = await db.get(m.Escalation, ref.id)
            return (detect_language(e.question) if e is not None else None) or "en"
