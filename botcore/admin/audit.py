"""The audit log: who did what, when (written through :meth:`botcore.memory.stores.AdminStore.audit`)."""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from botcore.admin.timeutil import iso
from botcore.memory import sql_models as m
from botcore.memory.stores import SqlAccess


def cli_actor() -> str:
    """``cli:<os user>``: the actor of actions taken with botctl."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no passwd entry (some containers)
        return "cli"


async def list_audit(store: SqlAccess, *, since: datetime | None = None, actor: str | None = None,
                     action: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Audit entries, newest first; ``action`` matches a prefix (``users.`` → every user action)."""
    q = select(m.AuditLog)
    if since is not None:
        q = q.where(m.AuditLog.created_at >= since)
    if actor:
        q = q.where(m.AuditLog.actor == actor)
    if action:
        q = q.where(m.AuditLog.action.startswith(action, autoescape=True))
    async with store.session() as s:
        rows = (await s.execute(q.order_by(m.AuditLog.id.desc()).limit(limit))).scalars().all()
    return [{"id": r.id, "at": iso(r.created_at), "actor": r.actor, "action": r.action,
             "target": r.target, "details": r.details or {}} for r in rows]
