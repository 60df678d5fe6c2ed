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
from botcore.errors import ConfigError, InputError
from botcore.memory.base import ShortTermMemory
from botcore.memory.sql_store import SqlMemory
from botcore.messages import IncomingMessage

log = logging.getLogger(__name__)

REFUSED = "Sorry, /admin is only for this bot's administrators."
HELP = """Admin commands:
/admin stats [7d] — usage statistics for a window (default 7d)
/admin broadcast all|telegram|discord TEXT — send an announcement to every active user
/admin status ID — delivery counts of a broadcast
/admin escalations — open questions waiting for a human
/admin reply ID TEXT — answer an escalation (the user gets it from the bot)
/admin resolve ID — close an escalation without answering
/admin user USER — what is stored about a user (platform:user_id or a name)
/admin block USER | /admin unblock USER — pause or resume the bot for a user"""


class AdminDeps(Protocol):
    """What the admin commands need; :class:`~botcore.dialogue.manager.DialogueManager` has it."""

    @property
    def settings(self) -> Settings:
        """The bot's settings (``settings.admins`` decides who may)."""
        ...

    @property
    def sql(self) -> SqlMemory:
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
    sql: SqlMemory
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
        return REFUSED
    try:
        text, action, target, details = await _run(settings, sql, short, actor, sub, rest)
    except InputError as exc:
        await sql.audit(actor, f"admin.{sub or 'help'}.error", None, {"error": str(exc)[:200]})
        return f"⚠️ {exc.user_message}"
    await sql.audit(actor, action, target, details)
    return text


async def _run(settings: Settings, sql: SqlMemory, short: ShortTermMemory, actor: str, sub: str,
               rest: str) -> tuple[str, str, str | None, dict[str, object] | None]:
    """(reply, audit action, audit target, audit details) of one admin command."""
    if sub in ("", "help"):
        return HELP, "admin.help", None, None
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
        return (f"Broadcast #{res.broadcast_id} queued for {res.queued} users "
                f"({res.skipped} blocked or inactive skipped). /admin status "
                f"{res.broadcast_id} shows progress.", "broadcast.queue",
                str(res.broadcast_id), {"to": to, "queued": res.queued, "skipped": res.skipped})
    if sub == "status":
        status = await bc.broadcast_status(sql, _int(rest, "broadcast id"))
        if status is None:
            raise InputError(f"no broadcast #{rest}")
        return (f"Broadcast #{status['id']}: {status['sent']} delivered, {status['failed']} "
                f"failed, {status['queued'] + status['sending']} pending, {status['skipped']} "
                f"skipped.", "broadcast.status", str(status["id"]), None)
    if sub == "escalations":
        items = await esc.list_escalations(sql, "open", limit=10)
        if not items:
            return "No open escalations.", "escalations.list", None, {"open": 0}
        lines = [f"#{e['id']} {e['user']}: {e['question'][:120]}" for e in items]
        return ("Open escalations:\n" + "\n".join(lines) + "\n\nAnswer with /admin reply ID TEXT.",
                "escalations.list", None, {"open": len(items)})
    if sub == "reply":
        num, _, text = rest.partition(" ")
        answered = await esc.reply(sql, short, _int(num, "escalation id"), text, actor)
        return (f"Escalation #{answered['id']} answered; the reply is queued for "
                f"{answered['user']}.", "escalations.reply", f"escalation:{answered['id']}",
                {"broadcast_id": answered["broadcast_id"]})
    if sub == "resolve":
        closed = await esc.resolve(sql, _int(rest, "escalation id"))
        return (f"Escalation #{closed['id']} resolved.", "escalations.resolve",
                f"escalation:{closed['id']}", None)
    if sub in ("block", "unblock"):
        platform, uid = await us.resolve_user(sql, rest)
        await sql.set_user_flags(platform, uid, blocked=sub == "block")
        return (f"{platform}:{uid} {'blocked' if sub == 'block' else 'unblocked'}.",
                f"users.{sub}", f"{platform}:{uid}", None)
    if sub == "user":
        platform, uid = await us.resolve_user(sql, rest)
        d = await us.user_details(sql, platform, uid)
        return (f"{d['ref']} ({d['display_name'] or 'no name'}): {d['messages']} messages, "
                f"{d['facts']} facts, last seen {d['last_seen_at']}, "
                f"{'BLOCKED' if d['blocked'] else 'active' if d['active'] else 'inactive'}, "
                f"{d['open_escalations']} open escalations.", "users.show",
                f"{platform}:{uid}", None)
    raise InputError(f"unknown admin command {sub[:40]!r}. Type /admin help.")


def _int(text: str, what: str) -> int:
    value = text.strip().lstrip("#")
    if not value.isdigit():
        raise InputError(f"give the {what} as a number")
    return int(value)
