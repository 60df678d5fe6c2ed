"""Listening addresses (#12 item 12): metrics and the Telegram webhook listen on 127.0.0.1 unless
configured; docker-compose sets 0.0.0.0 explicitly inside its network."""

from __future__ import annotations

import socket
from pathlib import Path

import yaml

from botcore import metrics
from botcore.config import Settings, listen_address

ROOT = Path(__file__).resolve().parents[1]


def _listening(port: int) -> set[str]:
    """The local addresses a TCP socket listens on for ``port`` (from /proc/net/tcp{,6})."""
    out = set()
    for name in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            addr, hexport = local.rsplit(":", 1)
            if state == "0A" and int(hexport, 16) == port:
                out.add(addr)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_defaults_are_loopback(tmp_path: Path) -> None:
    s = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert s.metrics_addr == "127.0.0.1"
    assert listen_address(s.telegram_webhook_listen) == ("127.0.0.1", 8443)
    assert listen_address(":8443") == ("127.0.0.1", 8443)


def test_metrics_listen_on_loopback_only_by_default() -> None:
    port = _free_port()
    assert metrics.serve(port)
    assert _listening(port) == {"0100007F"}  # 127.0.0.1, not 0.0.0.0 (00000000)


def test_compose_opens_them_inside_its_network_explicitly() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("worker", "telegram", "discord"):
        assert services[name]["environment"]["BOTCORE_METRICS_ADDR"] == "0.0.0.0", name
    assert services["telegram"]["environment"]["BOTCORE_TELEGRAM_WEBHOOK_LISTEN"] == "0.0.0.0:8443"
