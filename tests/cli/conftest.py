"""botctl against real databases: the embedded SQLite in a temp data dir, or a fresh Postgres
database (+ Redis db 9) per test. Data is seeded by driving real turns through the runtime."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from typer.testing import CliRunner

from botcore.config import Settings, load_settings, to_async_url
from botcore.messages import IncomingMessage, OutgoingMessage
from botcore.runtime import open_runtime
from tests.conftest import PG_ADMIN, need, run_blocking

T = TypeVar("T")


@dataclass
class Result:
    """What one botctl invocation did."""

    code: int
    out: str
    err: str


@dataclass
class Botctl:
    """Runs botctl in-process (CliRunner) with this test's environment."""

    env: dict[str, str]

    def __call__(self, *args: str, input: str | None = None) -> Result:
        from botcore.cli.app import app

        res = CliRunner().invoke(app, list(args), input=input, env=self.env)
        if res.exception and not isinstance(res.exception, SystemExit):
            raise res.exception
        return Result(res.exit_code, res.stdout, res.stderr)

    @property
    def settings(self) -> Settings:
        with pytest.MonkeyPatch.context() as mp:
            for k, v in self.env.items():
                mp.setenv(k, v)
            return load_settings()


def _create_pg() -> str:
    import asyncpg

    name = f"botcore_cli_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()

    run_blocking(create())
    return name


def _drop_pg(name: str) -> None:
    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    run_blocking(drop())


@pytest.fixture
def fresh_pg() -> Iterator[str]:
    """An empty Postgres database (not migrated), dropped after the test."""
    need("PostgreSQL", 5432)
    name = _create_pg()
    yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    _drop_pg(name)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"BOTCORE_DATA_DIR": str(tmp_path / "data"), "BOTCORE_EXECUTOR": "instant", **extra}


@pytest.fixture
def botctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Botctl:
    """botctl on the embedded default (SQLite in tmp, in-process short-term memory)."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    return Botctl(_env(tmp_path))


@pytest.fixture(params=["sqlite", "postgres"])
def any_botctl(request: pytest.FixtureRequest, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Botctl:
    """botctl on SQLite, and on a fresh migrated Postgres database with Redis."""
    monkeypatch.chdir(tmp_path)
    if request.param == "sqlite":
        return Botctl(_env(tmp_path))
    pg = request.getfixturevalue("fresh_pg")
    redis_url = request.getfixturevalue("redis_url")
    from botcore.memory.sql_engine import migrate

    run_blocking(migrate(to_async_url(pg), "upgrade", "head"))
    return Botctl(_env(tmp_path, BOTCORE_DATABASE_URL=pg, BOTCORE_REDIS_URL=redis_url))


def message(platform: str, user: str, text: str, name: str | None = None,
            **kw: object) -> IncomingMessage:
    """A private-chat message from ``platform:user``."""
    return IncomingMessage(platform=platform, message_id=uuid.uuid4().hex, chat_id=user,
                           user_id=user, text=text, user_name=name, **kw)  # type: ignore[arg-type]


SCRIPT = [
    ("telegram", "101", "Ana", "Hi, I'm Ana and I have a dog named Max", 1),
    ("telegram", "101", "Ana", "Can you explain how to solve 2x+3=7?", 1),
    ("telegram", "102", "Bob", "What is your refund policy for a damaged order?", None),
    ("discord", "201", "Cleo", "write a poem about autumn", -1),
    ("discord", "201", "Cleo", "I feel lonely today", None),
    ("console", "ana", None, "hello there", None),
]
"""(platform, user, name, text, feedback on the reply). Bob's question has no FAQ answer, so the
faq skill hands it to a human: one open escalation."""


async def _play(settings: Settings, script: list[tuple[str, str, str | None, str, int | None]]
                ) -> list[list[OutgoingMessage]]:
    outs = []
    async with open_runtime(settings) as rt:
        for platform, user, name, text, fb in script:
            out = await rt.manager.handle(message(platform, user, text, name))
            outs.append(out)
            if fb is not None and out and out[0].turn_id:
                await rt.manager.handle(message(platform, user, "", name,
                                                callback_data=f"fb:{fb}:{out[0].turn_id}"))
        await rt.manager.aclose()
    return outs


def play(settings: Settings, script: list[tuple[str, str, str | None, str, int | None]]
         | None = None) -> list[list[OutgoingMessage]]:
    """Drive real turns through the bot runtime (the instant model)."""
    return arun(_play(settings, script or SCRIPT))


def arun(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from a sync test."""
    return run_blocking(coro)  # type: ignore[return-value]


__all__ = ["SCRIPT", "Botctl", "Result", "arun", "asyncio", "message", "play"]
