"""`botctl health`: liveness checks for docker compose (exit 0 healthy, 1 not)."""

from __future__ import annotations

import socket
from typing import Annotated

import typer

from botcore.cli import common
from botcore.config import Settings
from botcore.errors import BotcoreError


async def check_bot(settings: Settings) -> dict[str, str]:
    """Database and Redis reachable (the bot can answer)."""
    from botcore.memory.factory import open_short_term
    from botcore.memory.sql_engine import make_engine
    from botcore.memory.sql_store import SqlMemory

    results: dict[str, str] = {}
    store = SqlMemory(make_engine(settings.sql_url))
    try:
        await store.ping()
        results["database"] = "ok"
    except BotcoreError as exc:
        results["database"] = f"FAIL: {exc}"
    finally:
        await store.aclose()
    short = await open_short_term(settings)
    try:
        await short.ping()
        results["short_term"] = "ok"
    except BotcoreError as exc:
        results["short_term"] = f"FAIL: {exc}"
    finally:
        await short.aclose()
    return results


def check_worker(settings: Settings, timeout: float = 5.0) -> dict[str, str]:
    """The Celery worker on this host answers a ping over the broker."""
    if not settings.broker_url:
        return {"worker": "FAIL: BOTCORE_BROKER_URL is not set"}
    from celery import Celery

    from botcore.inference.celery_config import celery_settings

    app = Celery("botcore-health")
    app.conf.update(celery_settings(settings))
    try:
        host = socket.gethostname()
        # any node of this host: celery@host, or gpu0@host… with `botctl run worker --gpus`
        replies = [r for r in app.control.ping(timeout=timeout)
                   if any(node.endswith(f"@{host}") for node in r)]
    except Exception as exc:  # broker down: unhealthy, with the reason
        return {"worker": f"FAIL: {exc}"}
    finally:
        app.close()
    return {"worker": "ok" if replies else "FAIL: no answer"}


def health(
    role: Annotated[str, typer.Argument(help="bot or worker")] = "bot",
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check that this process's dependencies answer (used by docker compose healthchecks)."""
    settings = common.settings()
    if role == "bot":
        results = common.run(check_bot(settings))
    elif role == "worker":
        results = check_worker(settings)
    else:
        common.fail("role must be bot or worker", code=2)
    if json_out:
        common.emit_json(results)
    else:
        for name, status in results.items():
            typer.echo(f"{name}: {status}")
    raise typer.Exit(0 if all(v == "ok" for v in results.values()) else 1)
