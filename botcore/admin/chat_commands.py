"""In-chat admin commands (``/admin …``), only for the users listed in ``BOTCORE_ADMIN_IDS``.

The dialogue manager calls ``await handle_admin_command(self, message, args)`` from its ``/admin``
branch (it has the ``settings``, ``sql`` and ``short`` attributes of :class:`AdminDeps`) and sends
the returned text back. Every call is audited, refused ones included (actor
``chat:platform:user_id``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from botcore.admin import broadcast as bc
from botcore.admin import escalations as esc
from botcore.admin import stats as st
from botcore.admin import users as us
from botcore.admin.audience import Audience
from botcore.admin.durations import since as parse_since
from botcore.config import Settings
from botcore.dialogue.command_registry import ADMIN_NAMES, admin_help_text
from botcore.errors import ConfigError, InputError
from botcore.i18n import Text, language_of
from botcore.memory.base import ShortTermMemory
from botcore.memory.stores import SqlTier
from botcore.messages import IncomingMessage

log = logging.getLogger(__name__)

REFUSED = Text("Sorry, /admin is only for this bot's administrators.",
               "抱歉，/admin 只供这个机器人的管理员使用。")
BROADCAST_QUEUED = Text("Broadcast #{id} queued for {queued} users ({skipped} blocked or inactive "
                        "skipped). /admin status {id} shows progress.",
                        "广播 #{id} 已排队发给 {queued} 个用户（跳过 {skipped} 个已屏蔽或不活跃的）。"
                        "/admin status {id} 查看进度。")
BROADCAST_STATUS = Text("Broadcast #{id}: {sent} delivered, {failed} failed, {pending} pending, "
                        "{skipped} skipped.",
                        "广播 #{id}：已送达 {sent}，失败 {failed}，待发送 {pending}，跳过 {skipped}。")
NO_ESCALATIONS = Text("No open escalations.", "没有待处理的转人工问题。")
ESCALATIONS = Text("Open escalations:\n{lines}\n\nAnswer with /admin reply ID TEXT.",
                   "待处理的转人工问题：\n{lines}\n\n用 /admin reply ID 文本 回复。")
ANSWERED = Text("Escalation #{id} answered; the reply is queued for {user}.",
                "转人工问题 #{id} 已回复；回复已排队发给 {user}。")
RESOLVED = Text("Escalation #{id} resolved.", "转人工问题 #{id} 已关闭。")
BLOCKED = Text("{user} blocked.", "{user} 已屏蔽。")
UNBLOCKED = Text("{user} unblocked.", "{user} 已解除屏蔽。")
USER_LINE = Text("{ref} ({name}): {messages} messages, {facts} facts, last seen {seen}, {status}, "
                 "{open} open escalations.",
                 "{ref}（{name}）：{messages} 条消息，{facts} 条记忆，最后出现于 {seen}，{status}，"
                 "{open} 个待处理的转人工问题。")
NO_NAME = Text("no name", "无名字")
STATUS_BLOCKED = Text("BLOCKED", "已屏蔽")
STATUS_ACTIVE = Text("active", "活跃")
STATUS_INACTIVE = Text("inactive", "不活跃")


class AdminDeps(Protocol):
    """What the admin commands need; :class:`~botcore.dialogue.manager.DialogueManager` has it."""

    @property
    def settings(self) -> Settings:
        """The bot's settings (``settings.admins`` decides who may)."""
        ...

    @property
    def sql(self) -> SqlTier:
        """The long-term store (also where actions are audited)."""
        ...

    @property
    def short(self) -> ShortTermMemory:
        """The short-term store (an escalation reply refreshes the user's cached turns)."""
        ...


@dataclass(frozen=True, slots=True)
class AdminContext:
    """:class:`AdminDeps` from parts (e.g. ``AdminContext(rt.settings, rt.long_term,
    rt.short_term)`` for a :class:`~botcore.runtime.Runtime`)."""

    settings: Settings
    sql: SqlTier
    short: ShortTermMemory


def is_admin(settings: Settings, message: IncomingMessage) -> bool:
    """True when ``platform:user_id`` of the sender is in ``BOTCORE_ADMIN_IDS``."""
    try:
        return message.user_ref in settings.admins
    except ConfigError:  # a malformed list allows nobody
        return False


async def handle_admin_command(deps: AdminDeps, message: IncomingMessage, args: str) -> str:
    """Run ``/admin ARGS`` for the sender of ``message``; returns the reply text.

    Refuses (and audits) anyone not in ``BOTCORE_ADMIN_IDS``, whatever the caller checked.

    Args:
        deps: settings and stores (the dialogue manager itself, or an :class:`AdminContext`).
        message: the command message (its sender is the actor).
        args: what follows ``/admin`` (e.g. ``"stats 24h"``).
    """
    settings, sql, short = deps.settings, deps.sql, deps.short
    actor = f"chat:{message.user_ref}"
    sub, _, rest = args.strip().partition(" ")
    sub, rest = sub.lower(), rest.strip()
    if not is_admin(settings, message):
        await sql.audit(actor, "admin.denied", None, {"command": sub[:40]})
        log.warning("refused /admin %s from a non-admin on %s", sub[:40], message.platform)
        return REFUSED.render(language_of(message))
    try:
        text, action, target, details = await _run(settings, sql, short, actor, sub, rest,
                                                   language_of(message))
    except InputError as exc:
        await sql.audit(actor, f"admin.{sub or 'help'}.error", None, {"error": str(exc)[:200]})
        return f"⚠️ {exc.user_message}"
    await sql.audit(actor, action, target, details)
    return text


async def _run(settings: Settings, sql: SqlTier, short: ShortTermMemory, actor: str, sub: str,
               rest: str, lang: str = "en") -> tuple[str, str, str | None, dict[str, object] | None]:
    """(reply, audit action, audit target, audit details) of one admin command."""
    if sub in ("", "help"):
        return admin_help_text(lang), "admin.help", None, None
    if sub not in ADMIN_NAMES:  # the subcommands are declared in botcore.dialogue.command_registry
        raise InputError(f"unknown admin command {sub[:40]!r}. Type /admin help.")
    if sub == "stats":
        stats = await st.compute_stats(sql, parse_since(rest or "7d"))
        return st.summary_text(stats), "admin.stats", None, {"since": rest or "7d"}
    if sub == "broadcast":
        to, _, text = rest.partition(" ")
        if not to or not text.strip():
            raise InputError("use /admin broadcast all|telegram|discord TEXT")
        if to == "segment":
            raise InputError("segments are available in `botctl broadcast` only")
        res = await bc.enqueue_broadcast(sql, Audience(to=to), text, actor)
        return (BROADCAST_QUEUED.render(lang, id=res.broadcast_id, queued=res.queued,
                                        skipped=res.skipped), "broadcast.queue",
                str(res.broadcast_id), {"to": to, "queued": res.queued, "skipped": res.skipped})
    if sub == "status":
        status = await bc.broadcast_status(sql, _int(rest, "broadcast id"))
        if status is None:
            raise InputError(f"no broadcast #{rest}")
        return (BROADCAST_STATUS.render(lang, id=status["id"], sent=status["sent"],
                                        failed=status["failed"],
                                        pending=status["queued"] + status["sending"],
                                        skipped=status["skipped"]),
                "broadcast.status", str(status["id"]), None)
    if sub == "escalations":
        items = await esc.list_escalations(sql, "open", limit=10)
        if not items:
            return NO_ESCALATIONS.render(lang), "escalations.list", None, {"open": 0}
        lines = [f"#{e['id']} {e['user']}: {e['question'][:120]}" for e in items]
        return (ESCALATIONS.render(lang, lines="\n".join(lines)),
                "escalations.list", None, {"open": len(items)})
    if sub == "reply":
        num, _, text = rest.partition(" ")
        answered = await esc.reply(sql, short, _int(num, "escalation id"), text, actor)
        return (ANSWERED.render(lang, id=answered["id"], user=answered["user"]),
                "escalations.reply", f"escalation:{answered['id']}",
                {"broadcast_id": answered["broadcast_id"]})
    if sub == "resolve":
        closed = await esc.resolve(sql, _int(rest, "escalation id"))
        return (RESOLVED.render(lang, id=closed["id"]), "escalations.resolve",
                f"escalation:{closed['id']}", None)
    if sub in ("block", "unblock"):
        platform, uid = await us.resolve_user(sql, rest)
        await sql.set_user_flags(platform, uid, blocked=sub == "block")
        return ((BLOCKED if sub == "block" else UNBLOCKED).render(lang, user=f"{platform}:{uid}"),
                f"users.{sub}", f"{platform}:{uid}", None)
    if sub == "user":
        platform, uid = await us.resolve_user(sql, rest)
        d = await us.user_details(sql, platform, uid)
        state = STATUS_BLOCKED if d["blocked"] else STATUS_ACTIVE if d["active"] else STATUS_INACTIVE
        return (USER_LINE.render(lang, ref=d["ref"], name=d["display_name"] or NO_NAME.render(lang),
                                 messages=d["messages"], facts=d["facts"], seen=d["last_seen_at"],
                                 status=state.render(lang), open=d["open_escalations"]),
                "users.show",
                f"{platform}:{uid}", None)
    raise InputError(f"unknown admin command {sub[:40]!r}. Type /admin help.")


def _int(text: str, what: str) -> int:
    value = text.strip().lstrip("#")
    if not value.isdigit():
        raise InputError(f"give the {what} as a number")
    return int(value)
