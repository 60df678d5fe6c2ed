"""`botctl broadcast`: queue an announcement; the running adapters deliver it."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

import typer

from botcore.admin import broadcast as bc
from botcore.admin.audience import Audience
from botcore.admin.audit import cli_actor
from botcore.admin.durations import since as parse_since
from botcore.admin.session import AdminStores
from botcore.admin.tables import print_table, with_admin
from botcore.cli import common
from botcore.errors import InputError

broadcast_app = typer.Typer(
    help="Send an announcement to users through the bot.\n\n"
         "The message is queued in the database; the running Telegram/Discord adapters deliver "
         "it at the platform's pace, skipping blocked and inactive users.\n\n"
         "Examples:\n\n"
         "  botctl broadcast --to all --message \"We're back online!\" --dry-run\n\n"
         "  botctl broadcast --to telegram -m \"New FAQ entries\" --wait 60\n\n"
         "  botctl broadcast --to segment --skill tutor --seen-within 30d -m \"Exams soon!\"\n\n"
         "  botctl broadcast status 3")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
WaitOpt = Annotated[float, typer.Option("--wait", metavar="SECONDS",
                                        help="Wait up to this long for delivery, then report.")]


@broadcast_app.callback(invoke_without_command=True)
def broadcast(
    ctx: typer.Context,
    to: Annotated[str | None, typer.Option("--to", help="all, telegram, discord (or another "
                                           "platform), or segment.")] = None,
    message: Annotated[str | None, typer.Option("--message", "-m", help="The text.")] = None,
    skill: Annotated[str | None, typer.Option(help="Segment: users answered by this skill.")]
    = None,
    seen_within: Annotated[str | None, typer.Option("--seen-within", help="Segment: users seen "
                                                    "this recently, e.g. 30d.")] = None,
    user: Annotated[list[str] | None, typer.Option("--user", help="Segment: this "
                                                   "platform:user_id (repeatable).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count the recipients.")]
    = False,
    wait: WaitOpt = 0.0,
    json_out: JsonOpt = False,
) -> None:
    """Queue an announcement (see the examples above)."""
    if ctx.invoked_subcommand is not None:
        if to or message:
            common.fail("--to/--message go without a sub-command", code=2)
        return
    if not to or message is None:
        common.fail("give --to all|telegram|discord|segment and --message TEXT "
                    "(botctl broadcast --help)", code=2)
    try:
        audience = Audience(to=to, skill=skill, seen_since=parse_since(seen_within)
                            if seen_within else None, users=tuple(user or ()))
    except InputError as exc:
        common.fail(str(exc), code=2)
    if not message.strip():
        common.fail("--message is empty", code=2)
    s = common.settings()

    async def main(st: AdminStores) -> bc.EnqueueResult:
        if dry_run:
            return await bc.preview(st.sql, audience)
        res = await bc.enqueue_broadcast(st.sql, audience, message, cli_actor())
        await st.sql.audit(cli_actor(), "broadcast.queue", str(res.broadcast_id),
                           {"audience": audience.describe(), "queued": res.queued,
                            "skipped": res.skipped, "chars": len(message)})
        return res

    res = common.run(with_admin(s, main))
    if dry_run:
        if json_out:
            common.emit_json({"dry_run": True, "queued": res.queued, "skipped": res.skipped,
                              "by_platform": res.by_platform})
        else:
            per = ", ".join(f"{k} {v}" for k, v in res.by_platform.items()) or "nobody"
            typer.echo(f"dry run: would queue {res.queued} ({per}); {res.skipped} blocked or "
                       "inactive would be skipped")
        return
    assert res.broadcast_id is not None
    if wait > 0:
        _report(s, res.broadcast_id, wait, json_out)
        return
    if json_out:
        common.emit_json({"id": res.broadcast_id, "queued": res.queued, "skipped": res.skipped,
                          "by_platform": res.by_platform})
    else:
        typer.echo(f"broadcast #{res.broadcast_id}: queued {res.queued}, skipped {res.skipped} "
                   f"(blocked or inactive). The adapters deliver it; "
                   f"`botctl broadcast status {res.broadcast_id}` shows progress.")


async def _poll(st: AdminStores, broadcast_id: int, wait: float) -> bc.BroadcastStatus | None:
    deadline = time.monotonic() + wait
    while True:
        status = await bc.broadcast_status(st.sql, broadcast_id)
        if status is None or status["done"] or time.monotonic() >= deadline:
            return status
        await asyncio.sleep(min(1.0, max(0.05, deadline - time.monotonic())))


def _report(s: Any, broadcast_id: int, wait: float, json_out: bool) -> None:
    status = common.run(with_admin(s, lambda st: _poll(st, broadcast_id, wait)))
    if status is None:
        common.fail(f"no broadcast #{broadcast_id}")
    if json_out:
        common.emit_json(status)
        return
    pending = status["queued"] + status["sending"]
    typer.echo(f"broadcast #{status['id']} ({status['kind']}, {status['audience']}): delivered "
               f"{status['sent']}, failed {status['failed']}, pending {pending}, skipped "
               f"{status['skipped']}" + ("" if status["done"] else
                                         " — is an adapter running for that platform?"))


@broadcast_app.command()
def status(broadcast_id: Annotated[int, typer.Argument(metavar="ID")], wait: WaitOpt = 0.0,
           json_out: JsonOpt = False) -> None:
    """Delivered / failed / pending counts of one broadcast.

    Example: botctl broadcast status 3 --wait 30
    """
    _report(common.settings(), broadcast_id, wait, json_out)


@broadcast_app.command("list")
def list_(limit: Annotated[int, typer.Option(help="At most this many.")] = 20,
          json_out: JsonOpt = False) -> None:
    """The newest broadcasts (and escalation replies) with their delivery counts."""
    if not 1 <= limit <= 1000:
        common.fail("--limit must be between 1 and 1000", code=2)
    rows = common.run(with_admin(common.settings(), lambda st: bc.list_broadcasts(st.sql, limit)))
    if json_out:
        common.emit_json(rows)
        return
    print_table(None, ["#", "created (UTC)", "kind", "audience", "sent", "failed", "pending",
                       "skipped", "text"],
                [(r["id"], (r["created_at"] or "")[:16].replace("T", " "), r["kind"],
                  r["audience"], r["sent"], r["failed"], r["queued"] + r["sending"], r["skipped"],
                  r["text"][:40]) for r in rows], empty="no broadcasts yet")
