"""Fixtures that start real processes: a Celery worker on the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from botcore.config import to_async_url
from botcore.memory.sql_engine import migrate
from tests.conftest import run_blocking

BOTCTL = str(Path(sys.executable).with_name("botctl"))


def service_env(tmp_path: Path, pg_url: str, redis_url: str, amqp_url: str,
                **extra: str) -> dict[str, str]:
    """Environment for bot and worker processes on the real services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTCORE_")}
    env.update({
        "BOTCORE_DATA_DIR": str(tmp_path / "data"),
        "BOTCORE_DATABASE_URL": pg_url,
        "BOTCORE_REDIS_URL": redis_url,
        "BOTCORE_BROKER_URL": amqp_url,
        "BOTCORE_EXECUTOR": "instant",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def purge_queues(amqp_url: str) -> None:
    """Drop tasks left on the model queues by an earlier run."""
    from celery import Celery

    app = Celery(broker=amqp_url)
    with app.connection_for_write() as conn:
        for q in ("gpu", "default"):
            try:
                conn.default_channel.queue_purge(q)
            except Exception:  # the queue does not exist yet
                conn = app.connection_for_write()
    app.close()


class WorkerProcess:
    """A `botctl run worker` subprocess; ready once its log says so."""

    def __init__(self, env: dict[str, str], log_path: Path, concurrency: int = 4) -> None:
        self.log_path = log_path
        self.log = log_path.open("w")
        self.proc = subprocess.Popen([BOTCTL, "run", "worker", "--concurrency", str(concurrency)],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 60) -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if "worker ready" in self.log_path.read_text(errors="replace"):
                return time.monotonic() - start
            if self.proc.poll() is not None:
                raise RuntimeError("worker exited:\n" + self.log_path.read_text())
            time.sleep(0.1)
        raise TimeoutError("worker not ready:\n" + self.log_path.read_text())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture(scope="session")
def pg_ready(pg_url: str) -> str:
    """The session Postgres database migrated through `botctl db upgrade`'s code path."""
    run_blocking(migrate(to_async_url(pg_url), "upgrade", "head"))
    return pg_url


@pytest.fixture
def worker_env(tmp_path: Path, pg_ready: str, redis_url: str, amqp_url: str) -> dict[str, str]:
    """Environment for processes on Postgres + Redis + RabbitMQ with the instant model."""
    purge_queues(amqp_url)
    return service_env(tmp_path, pg_ready, redis_url, amqp_url)


@pytest.fixture
def worker(worker_env: dict[str, str], tmp_path: Path) -> Iterator[WorkerProcess]:
    """A running worker process."""
    w = WorkerProcess(worker_env, tmp_path / "worker.log")
    try:
        w.wait_ready()
        yield w
    finally:
        w.stop()


def redis_client(url: str) -> redis.Redis:
    """A sync Redis client for assertions."""
    return redis.Redis.from_url(url, decode_responses=True)
