"""The README's promises hold: its botctl reference names real commands, and its test command is
the one CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from botcore.cli.app import app

ROOT = Path(__file__).resolve().parents[1]


def _reference_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## botctl reference", 1)[1].split("\n## ", 1)[0]
    commands = []
    for cell in re.findall(r"^\| `botctl ([^`]+)`", section, flags=re.M):
        words = []
        for word in cell.split():
            if not re.fullmatch(r"[a-z][a-z-]*(\\?\|[a-z-]+)*", word):
                break
            words.append(word)
        for variant in _expand(words):
            commands.append(variant)
    return commands


def _expand(words: list[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for word in words:
        options = word.replace("\\|", "|").split("|")
        out = [[*prefix, opt] for prefix in out for opt in options]
    return out


def test_every_command_in_the_reference_exists() -> None:
    commands = _reference_commands()
    assert len(commands) >= 8
    run_targets = {"telegram", "discord", "worker", "all"}
    health_roles = {"bot", "worker"}
    for cmd in commands:
        if cmd[0] == "run":
            assert set(cmd[1:]) <= run_targets
            cmd = cmd[:1]
        if cmd[0] == "health":
            assert set(cmd[1:]) <= health_roles
            cmd = cmd[:1]
        out = CliRunner().invoke(app, [*cmd, "--help"])
        assert out.exit_code == 0, f"botctl {' '.join(cmd)} --help failed: {out.output}"


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = "./scripts/bootstrap --dev && .venv/bin/python -m pytest"
    assert command in readme and command in ci
