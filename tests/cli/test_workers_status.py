"""`botctl workers status` with no broker, an unreachable one, and a real worker on RabbitMQ."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.cli.conftest import Botctl


def test_without_a_broker_it_says_so(botctl: Botctl) -> None:
    res = botctl("workers", "status")
    assert res.code == 2 and "BOTCORE_BROKER_URL is not set" in res.err
    assert len(res.err.strip().splitlines()) == 1


def test_an_unreachable_broker_is_one_clear_error(botctl: Botctl) -> None:
    botctl.env["BOTCORE_BROKER_URL"] = "redis://127.0.0.1:1/0"
    res = botctl("workers", "status", "--timeout", "1")
    assert res.code == 1 and res.err.startswith("error: cannot reach the broker")
    assert botctl("workers", "status", "--timeout", "0").code == 2


@pytest.mark.services
@pytest.mark.slow
def test_a_running_worker_reports_queues_and_model(botctl: Botctl, tmp_path: Path,
                                                    amqp_url: str, redis_url: str) -> None:
    node = f"botctl-test-{uuid.uuid4().hex[:6]}@localhost"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTCORE_")}
    env.update(BOTCORE_BROKER_URL=amqp_url, BOTCORE_REDIS_URL=redis_url,
               BOTCORE_EXECUTOR="instant", BOTCORE_DATA_DIR=str(tmp_path / "w"))
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        # workers.control imports workers.celery_app and registers the botcore_model command.
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.control", "worker", "-n", node,
             "--pool=threads", "--concurrency=1", "--queues=botctl-test", "--without-gossip",
             "--without-mingle", "--loglevel=INFO"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "ready" not in log_path.read_text(errors="replace"):
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        botctl.env["BOTCORE_BROKER_URL"] = amqp_url
        res = botctl("workers", "status", "--json", "--timeout", "1.5")
        assert res.code == 0, res.err
        mine = {w["name"]: w for w in json.loads(res.out)}[node]
        assert mine["queues"] == ["botctl-test"] and mine["concurrency"] == 1
        assert mine["model_loaded"] is True and mine["model_version"] == "instant"
        table = botctl("workers", "status", "--timeout", "1.5")
        assert node in table.out and "instant" in table.out
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
