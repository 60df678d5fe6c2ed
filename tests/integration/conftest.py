"""Fixtures that start real processes: a Celery worker on the real broker."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bench.services import Worker, purge_queues
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


# One implementation of "a real worker process" for the benchmarks and the tests.
WorkerProcess = Worker


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
    w = WorkerProcess(worker_env, tmp_path / "worker.log", concurrency=4)
    try:
        w.wait_ready()
        yield w
    finally:
        w.stop()


def redis_client(url: str) -> redis.Redis:
    """A sync Redis client for assertions."""
    return redis.Redis.from_url(url, decode_responses=True)
