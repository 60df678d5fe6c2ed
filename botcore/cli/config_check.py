"""`botctl config check`: validate settings and connectivity, one line per check."""

from __future__ import annotations

from typing import Annotated

import typer

from botcore.admin.checks import FAIL, run_checks
from botcore.cli import common
from botcore.config import load_settings
from botcore.errors import ConfigError

config_app = typer.Typer(help="Check the configuration.", no_args_is_help=True)

_MARK = {"ok": "ok  ", "warn": "WARN", "skip": "skip", "fail": "FAIL"}


@config_app.command()
def check(
    require: Annotated[list[str] | None, typer.Option(
        "--require", help="A platform token that must be set: telegram, discord (repeatable).")]
    = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Settings valid; database reachable and migrated; Redis; broker; tokens present.

    Exit code 1 when a check fails (warnings and skipped services do not fail); exit code 2,
    with one line on stderr naming the variable, when a setting is invalid.

    Examples:

        botctl config check

        botctl config check --require telegram --json
    """
    required = {r.strip().lower() for r in (require or []) if r.strip()}
    bad = required - {"telegram", "discord"}
    if bad:
        common.fail(f"--require takes telegram or discord, not {', '.join(sorted(bad))}", code=2)
    try:
        settings = load_settings()
    except ConfigError as exc:  # like every botctl command: one line naming the variable, exit 2
        common.config_error(exc)
    results = common.run(run_checks(settings, required))
    failed = any(c.status == FAIL for c in results)
    if json_out:
        common.emit_json({"ok": not failed, "checks": [c.as_dict() for c in results]})
    else:
        width = max(len(c.name) for c in results)
        for c in results:
            typer.echo(f"{_MARK.get(c.status, c.status)}  {c.name:<{width}}  {c.detail}")
    raise typer.Exit(1 if failed else 0)
