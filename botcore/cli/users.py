"""`botctl users`: find, inspect, block, forget, export and purge users."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from botcore.admin import users as us
from botcore.admin.audit import cli_actor
from botcore.admin.durations import since as parse_since
from botcore.admin.session import AdminStores
from botcore.admin.tables import print_table, with_admin
from botcore.cli import common
from botcore.errors import InputError
from botcore.files import write_private
from botcore.memory.base import UserExport
from botcore.memory.local_store import in_process_memory_in_use

users_app = typer.Typer(
    help="Find, inspect, block, forget, export and purge users.\n\n"
         "A user is named platform:user_id (telegram:12345, discord:9876, console:ana) or by "
         "part of their display name when that is unique.",
    no_args_is_help=True)

UserArg = Annotated[str, typer.Argument(metavar="USER",
                                        help="platform:user_id, or a (unique) part of a name.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


class ExportFile(UserExport):
    """What ``botctl users export`` writes: the user's reference, then their data."""

    ref: str


@users_app.command("list")
def list_(
    query: Annotated[str | None, typer.Option("--query", "-q", help="platform:user_id, a "
                                              "platform id, or part of a name.")] = None,
    platform: Annotated[str | None, typer.Option(help="Only users of this platform.")] = None,
    blocked: Annotated[bool, typer.Option("--blocked", help="Only blocked users.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many (1-10000).")] = 50,
    json_out: JsonOpt = False,
) -> None:
    """List users, most recently seen first.

    Examples:

        botctl users list --platform telegram

        botctl users list -q ana --json
    """
    if not 1 <= limit <= 10_000:
        common.fail("--limit must be between 1 and 10000", code=2)
    s = common.settings()
    rows = common.run(with_admin(s, lambda st: us.list_users(
        st.sql, query=query, platform=platform, blocked=True if blocked else None, limit=limit)))
    if json_out:
        common.emit_json([r.as_dict() for r in rows])
        return
    print_table(None, ["user", "name", "messages", "last seen", "status"],
                [(", ".join(r.refs), r.display_name, r.messages, (r.last_seen_at or "-")[:16]
                  .replace("T", " "), "blocked" if r.blocked else "active" if r.active
                  else "inactive") for r in rows], empty="no users match")


@users_app.command()
def show(who: UserArg, json_out: JsonOpt = False) -> None:
    """What is stored about one user (counts, flags, identities).

    Example: botctl users show telegram:12345
    """
    s = common.settings()

    async def main(st: AdminStores) -> us.UserDetails:
        platform, uid = await us.resolve_user(st.sql, who)
        details = await us.user_details(st.sql, platform, uid)
        await st.sql.audit(cli_actor(), "users.show", f"{platform}:{uid}")
        return details

    d = common.run(with_admin(s, main))
    if json_out:
        common.emit_json(d)
        return
    fields: dict[str, object] = dict(d)
    for key in ("ref", "refs", "display_name", "created_at", "last_seen_at", "blocked", "active",
                "consent_training", "conversations", "messages", "replies", "facts",
                "feedback_up", "feedback_down", "open_escalations", "quiz_results"):
        value = ", ".join(d["refs"]) if key == "refs" else fields[key]
        typer.echo(f"{key:18} {'-' if value is None else value}")


def _set_blocked(who: str, blocked: bool, reason: str | None) -> None:
    s = common.settings()

    async def main(st: AdminStores) -> str:
        platform, uid = await us.resolve_user(st.sql, who)
        await st.sql.set_user_flags(platform, uid, blocked=blocked)
        await st.sql.audit(cli_actor(), "users.block" if blocked else "users.unblock",
                           f"{platform}:{uid}", {"reason": reason} if reason else None)
        return f"{platform}:{uid}"

    ref = common.run(with_admin(s, main))
    typer.echo(f"{ref} {'blocked: the bot answers them with a notice only' if blocked else 'unblocked'}")


@users_app.command()
def block(who: UserArg,
          reason: Annotated[str | None, typer.Option(help="Kept in the audit log.")] = None
          ) -> None:
    """Pause the bot for a user (they get a short notice instead of answers).

    Example: botctl users block telegram:12345 --reason spam
    """
    _set_blocked(who, True, reason)


@users_app.command()
def unblock(who: UserArg) -> None:
    """Let a blocked user talk to the bot again."""
    _set_blocked(who, False, None)


@users_app.command()
def forget(who: UserArg, yes: YesOpt = False, json_out: JsonOpt = False) -> None:
    """Erase everything stored about a user: SQL rows and short-term (Redis) keys.

    The same as the user's own /forget. Asks for confirmation unless --yes.

    Example: botctl users forget telegram:12345 --yes
    """
    s = common.settings()
    if ":" in who:  # an explicit id is forgotten even if SQL no longer has it (Redis leftovers)
        try:
            platform, uid = us.split_ref(who)
        except InputError as exc:
            common.fail(str(exc), code=2)
    else:
        platform, uid = common.run(with_admin(s, lambda st: us.resolve_user(st.sql, who)))
    if not s.redis_url and in_process_memory_in_use(s.data_dir):
        common.fail("a running bot keeps short-term memory in its own process (no "
                    "BOTCORE_REDIS_URL) and cannot be reached from here: nothing was erased; "
                    "stop the bot first, or have the user send /forget in the chat")
    if not yes and not typer.confirm(f"Erase everything stored about {platform}:{uid}? "
                                     "This cannot be undone", default=False):
        common.fail("aborted: nothing was erased")

    async def main(st: AdminStores) -> dict[str, int]:
        counts = await us.forget_user(st.sql, st.short, platform, uid)
        await st.sql.audit(cli_actor(), "users.forget", f"{platform}:{uid}", counts)
        return counts

    counts = common.run(with_admin(s, main))
    if json_out:
        common.emit_json({"user": f"{platform}:{uid}", "deleted": counts})
        return
    done = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    typer.echo(f"erased {platform}:{uid}: {done or 'nothing left'}")


@users_app.command()
def export(
    who: UserArg,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the JSON here "
                                                "instead of stdout.")] = None,
) -> None:
    """Export everything stored about a user as JSON (the user's own /export).

    Examples:

        botctl users export telegram:12345 -o ana.json

        botctl users export ana > ana.json
    """
    s = common.settings()

    async def main(st: AdminStores) -> ExportFile:
        platform, uid = await us.resolve_user(st.sql, who)
        data = await st.sql.export_user(platform, uid)
        await st.sql.audit(cli_actor(), "users.export", f"{platform}:{uid}",
                           {"to": str(output) if output else "stdout"})
        return {"ref": f"{platform}:{uid}", **data}

    data = common.run(with_admin(s, main))
    text = json.dumps(data, ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(text)
        return
    try:
        write_private(output, (text + "\n").encode("utf-8"))  # personal data: owner-only
    except OSError as exc:
        common.fail(f"cannot write {output}: {exc.strerror or exc}")
    typer.echo(f"exported {data['ref']} ({len(data.get('messages', []))} messages) to {output}",
               err=True)


@users_app.command()
def purge(
    older_than: Annotated[str, typer.Option("--older-than", help="Age limit, e.g. 90d, 12w, "
                                            "36h.")],
    inactive_users: Annotated[bool, typer.Option("--inactive-users", help="Also erase every "
                                                 "user not seen within the age limit.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only count.")] = False,
    yes: YesOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Retention: delete messages, summaries, closed escalations and finished broadcasts older
    than --older-than, and conversations left empty; with --inactive-users also erase users not
    seen since.

    Facts about users who are still active are kept. Asks for confirmation unless --yes.

    Examples:

        botctl users purge --older-than 90d --dry-run

        botctl users purge --older-than 180d --inactive-users --yes
    """
    try:
        cutoff = parse_since(older_than)
    except InputError as exc:
        common.fail(str(exc), code=2)
    if cutoff is None:
        common.fail("--older-than needs a duration such as 90d", code=2)
    s = common.settings()
    plan = common.run(with_admin(s, lambda st: us.plan_purge(st.sql, cutoff,
                                                            inactive_users=inactive_users)))
    summary = (f"messages {plan.messages}, conversations {plan.conversations}, summaries "
               f"{plan.summaries}, closed escalations {plan.escalations}, finished broadcasts "
               f"{plan.broadcasts}, inactive users {plan.inactive_users} (before {plan.cutoff})")
    if dry_run:
        if json_out:
            common.emit_json({"dry_run": True, **plan.as_dict()})
        else:
            typer.echo(f"would delete {summary}")
        return
    if not yes and not typer.confirm(f"Delete {summary}?", default=False):
        common.fail("aborted: nothing was deleted")

    async def main(st: AdminStores) -> us.PurgePlan:
        done = await us.purge(st.sql, st.short, cutoff, inactive_users=inactive_users)
        await st.sql.audit(cli_actor(), "users.purge", None,
                           {"older_than": older_than, **done.as_dict()})
        return done

    done = common.run(with_admin(s, main))
    if json_out:
        common.emit_json({"dry_run": False, **done.as_dict()})
    else:
        typer.echo(f"deleted {summary}")
