"""Helpers shared by the benchmarks: a throw-away Postgres database, a clean Redis database and a
real ``botctl run worker`` process on RabbitMQ (all on 127.0.0.1 unless overridden).

Override the services with ``BOTCORE_TEST_PG``, ``BOTCORE_TEST_REDIS`` and ``BOTCORE_TEST_AMQP``.
"""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_ADMIN = os.environ.get("BOTCORE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BOTCORE_TEST_REDIS", "redis://127.0.0.1:6379/10")
AMQP_URL = os.environ.get("BOTCORE_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672//")
BOTCTL = str(Path(sys.executable).with_name("botctl"))


def machine() -> str:
    """One line describing the machine the numbers come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU cores ({cpu}), Python {platform.python_version()}"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[idx]


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, migrated Postgres database (dropped on exit)."""
    import asyncpg

    from botcore.config import to_async_url
    from botcore.memory.sql_engine import migrate

    name = f"botcore_bench_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    try:
        asyncio.run(migrate(to_async_url(url), "upgrade", "head"))
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def flush_redis(url: str = REDIS_URL) -> None:
    """Empty the benchmark's Redis database."""
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


def purge_queues(amqp_url: str = AMQP_URL) -> None:
    """Drop tasks an earlier run left on the model queues."""
    from kombu import Connection

    with Connection(amqp_url) as conn:
        channel = conn.default_channel
        for q in ("gpu", "default"):
            try:
                channel.queue_purge(q)
            except Exception:  # the queue does not exist yet
                channel = conn.channel()


def service_env(data_dir: Path, pg_url: str, **extra: str) -> dict[str, str]:
    """The environment of bot and worker processes on the real services."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTCORE_")}
    env.update({
        "BOTCORE_DATA_DIR": str(data_dir),
        "BOTCORE_DATABASE_URL": pg_url,
        "BOTCORE_REDIS_URL": REDIS_URL,
        "BOTCORE_BROKER_URL": AMQP_URL,
        "BOTCORE_EXECUTOR": "instant",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


class Worker:
    """A ``botctl run worker`` subprocess, ready once its log says so."""

    def __init__(self, env: dict[str, str], log_path: Path, concurrency: int = 8) -> None:
        self.log_path = log_path
        self.started = time.monotonic()
        self._log = log_path.open("w")
        self.proc = subprocess.Popen(
            [BOTCTL, "run", "worker", "--concurrency", str(concurrency)],
            env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 120) -> float:
        """Seconds from process start to "worker ready"."""
        while time.monotonic() - self.started < timeout:
            if "worker ready" in self.log_path.read_text(errors="replace"):
                return time.monotonic() - self.started
            if self.proc.poll() is not None:
                raise RuntimeError("worker exited:\n" + self.log_path.read_text())
            time.sleep(0.02)
        raise TimeoutError("worker not ready:\n" + self.log_path.read_text())

    def stop(self) -> None:
        """Terminate (then kill) the process."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
