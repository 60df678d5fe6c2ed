"""docker-compose.yml parses, has the production shape, and names only real botctl commands."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from botcore import plugins
from botcore.cli.app import app

ROOT = Path(__file__).resolve().parents[1]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_has_the_production_services() -> None:
    services = _compose()["services"]
    assert {"postgres", "redis", "migrate", "worker", "telegram", "discord"} <= set(services)
    gpu = services["worker"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["capabilities"] == ["gpu"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in ("worker", "telegram", "discord"):
        assert services[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"
        assert "healthcheck" in services[name]


def test_every_botctl_command_in_compose_exists() -> None:
    commands: list[list[str]] = []
    for svc in _compose()["services"].values():
        if svc.get("image", "").startswith("botcore") or "build" in svc:
            commands.append([c for c in svc["command"] if not c.startswith("-")][:2])
        test = (svc.get("healthcheck") or {}).get("test", [])
        if "botctl" in test:
            commands.append(test[test.index("botctl") + 1:][:1])
    assert commands
    for cmd in commands:
        if cmd[0] == "run":  # `run TARGET`: the target must be a worker or an installed adapter
            assert cmd[1] == "worker" or cmd[1] in plugins.available(plugins.ADAPTERS), cmd
            cmd = cmd[:1]
        out = CliRunner().invoke(app, [*cmd, "--help"])
        assert out.exit_code == 0, f"botctl {' '.join(cmd)}: {out.output}"
