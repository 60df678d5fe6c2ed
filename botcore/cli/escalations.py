"""`botctl escalations`: questions the bot handed to a human, answered through the bot."""

from __future__ import annotations

from typing import Annotated

import typer

from botcore.admin import escalations as esc
from botcore.admin.audit import cli_actor
from botcore.admin.session import AdminStores
from botcore.admin.tables import print_table, with_admin
from botcore.cli import common

escalations_app = typer.Typer(
    help="Questions the bot handed to a human. Answer them here; the user gets the answer from "
         "the bot, in the chat where they asked.",
    no_args_is_help=True)

IdArg = Annotated[int, typer.Argument(metavar="ID", help="The escalation's number.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@escalations_app.command("list")
def list_(
    status: Annotated[str, typer.Option(help="open, resolved, expired or all.")] = "open",
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    json_out: JsonOpt = False,
) -> None:
    """Escalations (open ones, oldest first, by default) with how long each user waited:
    until now while open, until the first human reply once answered.

    Example: botctl escalations list --status all --json
    """
    if status not in esc.STATUSES:
        common.fail(f"--status must be one of {', '.join(esc.STATUSES)}", code=2)
    if not 1 <= limit <= 10_000:
        common.fail("--limit must be between 1 and 10000", code=2)
    rows = common.run(with_admin(common.settings(),
                                 lambda st: esc.list_escalations(st.sql, status, limit)))
    if json_out:
        common.emit_json(rows)
        return
    print_table(None, ["#", "asked (UTC)", "status", "waiting", "why", "user", "question"],
                [(r["id"], (r["created_at"] or "")[:16].replace("T", " "), r["status"],
                  r["waiting"], r["reason"] or "-", r["user"], r["question"][:80]) for r in rows],
                empty=f"no {'' if status == 'all' else status + ' '}escalations")


@escalations_app.command()
def show(esc_id: IdArg, json_out: JsonOpt = False) -> None:
    """One escalation with the conversation that led to it.

    Example: botctl escalations show 4
    """
    d = common.run(with_admin(common.settings(), lambda st: esc.get_escalation(st.sql, esc_id)))
    if json_out:
        common.emit_json(d)
        return
    typer.echo(f"#{d['id']} {d['status']}  {d['user']} ({d['user_name'] or 'no name'})  "
               f"asked {d['created_at']}")
    typer.echo(f"question: {d['question']}")
    if d["answer"]:
        typer.echo(f"answer:   {d['answer']}  (resolved {d['resolved_at']})")
    if d["context"]:
        typer.echo("conversation:")
        for msg in d["context"]:
            who = "user" if msg["role"] == "user" else f"bot/{msg['skill'] or '-'}"
            typer.echo(f"  {who:>14}: {msg['text'][:200]}")


@escalations_app.command()
def reply(
    esc_id: IdArg,
    message: Annotated[str, typer.Option("--message", "-m", help="Your answer.")],
    json_out: JsonOpt = False,
) -> None:
    """Answer as a human: the answer is stored, the escalation resolved, and the bot sends it
    to the user (in the chat where they asked).

    Example: botctl escalations reply 4 -m "Yes, we ship to Norway (5-7 days)."
    """
    if not message.strip():
        common.fail("--message is empty", code=2)

    async def main(st: AdminStores) -> esc.ReplyReceipt:
        res = await esc.reply(st.sql, st.short, esc_id, message, cli_actor())
        await st.sql.audit(cli_actor(), "escalations.reply", f"escalation:{esc_id}",
                           {"broadcast_id": res["broadcast_id"], "user": res["user"]})
        return res

    res = common.run(with_admin(common.settings(), main))
    if json_out:
        common.emit_json(res)
    else:
        typer.echo(f"escalation #{esc_id} resolved; the answer is queued for {res['user']} "
                   f"(`botctl broadcast status {res['broadcast_id']}`)")


@escalations_app.command()
def resolve(esc_id: IdArg,
            note: Annotated[str | None, typer.Option(help="Kept as the answer; not sent.")]
            = None,
            json_out: JsonOpt = False) -> None:
    """Close an escalation without messaging the user.

    Example: botctl escalations resolve 4 --note "answered by phone"
    """
    async def main(st: AdminStores) -> esc.Resolution:
        res = await esc.resolve(st.sql, esc_id, note)
        await st.sql.audit(cli_actor(), "escalations.resolve", f"escalation:{esc_id}",
                           {"note": note} if note else None)
        return res

    res = common.run(with_admin(common.settings(), main))
    if json_out:
        common.emit_json(res)
    else:
        typer.echo(f"escalation #{esc_id} resolved" + (" (it already was)"
                                                        if res["was"] == "resolved" else ""))
