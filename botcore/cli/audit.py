"""`botctl audit`: the log of admin actions."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from botcore.admin.audit import list_audit
from botcore.admin.durations import since as parse_since
from botcore.admin.tables import print_table, with_admin
from botcore.cli import common
from botcore.errors import InputError

audit_app = typer.Typer(help="The audit log: every admin action (CLI and in-chat /admin).",
                        no_args_is_help=True)


@audit_app.command("list")
def list_(
    since: Annotated[str | None, typer.Option(help="Only this recent, e.g. 24h, 7d.")] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor, e.g. cli:root or "
                                              "chat:telegram:42.")] = None,
    action: Annotated[str | None, typer.Option(help="Only actions starting with this, e.g. "
                                               "users. or broadcast.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many (1-10000).")] = 50,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Admin actions, newest first.

    Examples:

        botctl audit list --since 7d

        botctl audit list --action users. --json
    """
    if not 1 <= limit <= 10_000:
        common.fail("--limit must be between 1 and 10000", code=2)
    try:
        start = parse_since(since)
    except InputError as exc:
        common.fail(str(exc), code=2)
    s = common.settings()
    rows = common.run(with_admin(s, lambda st: list_audit(st.sql, since=start, actor=actor,
                                                          action=action, limit=limit)))
    if json_out:
        common.emit_json(rows)
        return
    print_table(None, ["#", "when (UTC)", "actor", "action", "target", "details"],
                [(r["id"], (r["at"] or "")[:19].replace("T", " "), r["actor"], r["action"],
                  r["target"], json.dumps(r["details"], ensure_ascii=False)[:80]
                  if r["details"] else None) for r in rows], empty="no audit entries")
