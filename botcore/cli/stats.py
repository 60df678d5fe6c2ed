"""`botctl stats`: usage statistics (table, JSON or a PNG plot)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from botcore.admin.audit import cli_actor
from botcore.admin.durations import since as parse_since
from botcore.admin.escalations import format_wait
from botcore.admin.session import AdminStores
from botcore.admin.stats import Stats, compute_stats
from botcore.admin.tables import print_table, with_admin
from botcore.cli import common
from botcore.errors import BotcoreError, InputError


def stats(
    since: Annotated[str, typer.Option(help="Window: 24h, 7d, 4w … or all.")] = "7d",
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    plot: Annotated[Path | None, typer.Option("--plot", metavar="FILE.png",
                                              help="Also draw a chart (needs matplotlib).")] = None,
) -> None:
    """Messages per day, platform and skill; active users; reply latency; 👍/👎; escalations.

    Examples:

        botctl stats

        botctl stats --since 30d --plot usage.png

        botctl stats --since all --json
    """
    try:
        start = parse_since(since)
    except InputError as exc:
        common.fail(str(exc), code=2)
    if plot is not None and plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        common.fail("--plot needs a .png, .svg or .pdf file name", code=2)
    s = common.settings()

    async def main(st: AdminStores) -> Stats:
        result = await compute_stats(st.sql, start)
        await st.sql.audit(cli_actor(), "stats.view", None, {"since": since})
        return result

    result = common.run(with_admin(s, main))
    if plot is not None:
        from botcore.admin.plot import plot_stats

        try:
            plot_stats(result, plot)
        except (BotcoreError, OSError) as exc:  # no matplotlib, or the file cannot be written
            common.fail(str(exc))
    if json_out:
        common.emit_json(result.as_dict())
    else:
        _print(result)
    if plot is not None:
        typer.echo(f"plot written to {plot}", err=True)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def _s(value: float | None) -> str:
    return "-" if value is None else format_wait(value)


def _print(st: Stats) -> None:
    ratio = "-" if st.feedback_ratio is None else f"{st.feedback_ratio:.0%}"
    print_table(f"botcore since {st.since or 'the start'} (until {st.until})", ["metric", "value"], [
        ("messages in", st.incoming), ("replies", st.replies),
        ("active users", st.active_users), ("new users", st.new_users),
        ("reply latency p50", _ms(st.latency_p50_ms)), ("reply latency p95", _ms(st.latency_p95_ms)),
        ("👍 / 👎", f"{st.feedback_up} / {st.feedback_down} ({ratio} 👍)"),
        ("escalations open", st.escalations_open), ("escalations new", st.escalations_new),
        ("time to first human reply p50", _s(st.first_human_reply_p50_s)),
        ("time to first human reply p95", _s(st.first_human_reply_p95_s)),
        ("escalations timed out", st.escalations_expired),
    ])
    print_table("per day (UTC)", ["day", "in", "replies"],
                [(d.day, d.incoming, d.replies) for d in st.per_day], empty="no messages")
    print_table("per platform (messages in)", ["platform", "messages"],
                list(st.per_platform.items()), empty="no messages")
    print_table("per skill (replies)", ["skill", "replies"], list(st.per_skill.items()),
                empty="no replies")
