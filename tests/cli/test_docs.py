"""docs/botctl.md's command reference is generated from the real help text and must match it.

Regenerate after changing a command: ``BOTCORE_TEST_REGEN_DOCS=1 pytest tests/cli/test_docs.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import typer

DOC = Path(__file__).resolve().parents[2] / "docs" / "botctl.md"
BEGIN = "<!-- BEGIN GENERATED REFERENCE (tests/cli/test_docs.py) -->"
END = "<!-- END GENERATED REFERENCE -->"
PLUGINS = {"model"}  # commands from other packages' entry points: see their own --help


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("|", "\\|").strip()


def _ctx(cmd: Any, name: str, parent: Any = None) -> Any:
    return cmd.context_class(cmd, info_name=name, parent=parent)


def _command(cmd: Any, ctx: Any, path: str, out: list[str]) -> None:
    level = "##" if path.count(" ") == 1 else "###"
    out += [f"{level} `{path}`", "", "```", cmd.get_usage(ctx), "```", ""]
    if cmd.help:
        out += [cmd.help.strip(), ""]
    rows = [rec for p in cmd.get_params(ctx) if (rec := p.get_help_record(ctx))
            and not rec[0].startswith("--help")]
    if rows:
        out += ["| option | meaning |", "|---|---|"]
        out += [f"| `{_cell(opt)}` | {_cell(help_)} |" for opt, help_ in rows]
        out.append("")
    if hasattr(cmd, "list_commands"):  # a group (typer vendors its own click)
        for name in cmd.list_commands(ctx):
            if path == "botctl" and name in PLUGINS:
                continue
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                _command(sub, _ctx(sub, name, ctx), f"{path} {name}", out)


def reference() -> str:
    """The markdown reference of every core botctl command, from the live click tree."""
    from botcore.cli.app import app

    root = typer.main.get_command(app)
    out: list[str] = []
    _command(root, _ctx(root, "botctl"), "botctl", out)
    return "\n".join(out).rstrip() + "\n"


def test_the_reference_matches_the_help_text() -> None:
    text = DOC.read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    fresh = reference()
    if os.environ.get("BOTCORE_TEST_REGEN_DOCS"):
        DOC.write_text(f"{head}{BEGIN}\n\n{fresh}\n{END}{tail}", encoding="utf-8")
        return
    current = rest.partition(END)[0].strip()
    assert current == fresh.strip(), (
        "docs/botctl.md is out of date: BOTCORE_TEST_REGEN_DOCS=1 pytest tests/cli/test_docs.py")


def test_every_data_command_offers_json() -> None:
    from botcore.cli.app import app

    root = typer.main.get_command(app)
    data_commands = ["users list", "users show", "users forget", "users purge", "stats",
                     "broadcast", "broadcast status", "broadcast list", "escalations list",
                     "escalations show", "escalations reply", "escalations resolve",
                     "audit list", "config check", "workers status", "db current", "faq list"]
    ctx = _ctx(root, "botctl")
    for path in data_commands:
        cmd: Any = root
        c = ctx
        for part in path.split():
            nxt = cmd.get_command(c, part)
            assert nxt is not None, path
            cmd, c = nxt, _ctx(nxt, part, c)
        assert any("--json" in getattr(p, "opts", []) for p in cmd.params), path
