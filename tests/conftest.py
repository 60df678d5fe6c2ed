"""Shared fixtures: settings on a temp data dir, real Postgres and Redis on 127.0.0.1.

Service-backed tests use a throw-away Postgres database created for the session and Redis
database 9 (flushed per test). Without the services they are skipped locally, but in CI
(``CI=true``) a missing service is an error, not a skip.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from botcore.config import Settings

PG_ADMIN = os.environ.get("BOTCORE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BOTCORE_TEST_REDIS", "redis://127.0.0.1:6379/9")
AMQP_URL = os.environ.get("BOTCORE_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672//")


def run_blocking(coro: object) -> object:
    """Run a coroutine to completion on a fresh loop in another thread (safe inside a loop)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()  # type: ignore[arg-type]


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need(service: str, port: int) -> None:
    """Skip (locally) or fail (in CI) when a service is not listening."""
    if not _port_open("127.0.0.1", port):
        if os.environ.get("CI"):
            pytest.fail(f"{service} is not running on 127.0.0.1:{port}")
        pytest.skip(f"{service} not running")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's BOTCORE_* variables or .env."""
    for name in list(os.environ):
        if name.startswith("BOTCORE_") and not name.startswith("BOTCORE_TEST_"):
            monkeypatch.delenv(name, raising=False)


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings isolated in ``tmp_path`` (embedded defaults unless overridden)."""
    values: dict[str, object] = {"data_dir": tmp_path / "data", "executor": "instant"}
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded settings: SQLite in tmp, in-process short-term memory, the instant model."""
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh Postgres database for this test session (dropped at the end)."""
    need("PostgreSQL", 5432)
    import asyncpg

    name = f"botcore_test_{uuid.uuid4().hex[:8]}"
    admin = PG_ADMIN

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run_blocking(run(f'CREATE DATABASE "{name}"'))
    base = admin.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    run_blocking(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Redis database 9, flushed before and after the test."""
    need("Redis", 6379)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """The RabbitMQ broker."""
    need("RabbitMQ", 5672)
    return AMQP_URL


# The bundled models, loaded once per test session (shared by tests/workers and tests/botcore).
# The generator comes from the bundled GGUF, converted into a session temp data dir (this
# exercises the conversion; ~30 s on 2 cores). Set BOTCORE_TEST_MODEL_CACHE to a folder to keep
# the converted copy between runs.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


@pytest.fixture(scope="session")
def model_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data dir holding the converted generator (persistent if BOTCORE_TEST_MODEL_CACHE)."""
    cache = os.environ.get("BOTCORE_TEST_MODEL_CACHE")
    return Path(cache) if cache else tmp_path_factory.mktemp("model-data")


@pytest.fixture(scope="session")
def model_settings(model_data_dir: Path) -> Settings:
    """Settings for the bundled models on the CPU."""
    return Settings(_env_file=None, data_dir=model_data_dir, device="cpu")  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def model_service(model_settings: Settings) -> Iterator[object]:
    """The real ModelService with the shipped heads and the bundled generator."""
    from workers.model.service import DEFAULT_HEADS, ModelService

    yield ModelService.load(model_settings, checkpoint=DEFAULT_HEADS)


@pytest.fixture(scope="session")
def model_executor(model_settings: Settings, model_service: object) -> object:
    """The in-process executor around the session's model (what `botctl chat` uses)."""
    from workers.executor import LocalExecutor

    return LocalExecutor.from_service(model_settings, model_service)
