"""Helpers shared by botctl commands: settings, running coroutines, JSON output, errors."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import typer

from botcore.config import Settings, load_settings
from botcore.errors import BotcoreError, ConfigError
from botcore.redact import redact

T = TypeVar("T")


def settings() -> Settings:
    """Settings from the environment, or exit 2 with the reason."""
    try:
        return load_settings()
    except BotcoreError as exc:
        fail(f"configuration error: {exc}", code=2)


def config_error(exc: BotcoreError) -> NoReturn:
    """A configuration problem: one line naming the variable, exit code 2."""
    fail(f"configuration error: {exc}", code=2)


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro``; a :class:`BotcoreError` becomes a one-line message and exit code 1."""
    try:
        return asyncio.run(coro)
    except ConfigError as exc:
        config_error(exc)
    except BotcoreError as exc:
        fail(str(getattr(exc, "user_message", None) or exc))
    except KeyboardInterrupt:
        fail("interrupted", code=130)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one redacted line to stderr and exit (the same redaction as every log line)."""
    line = " ".join(str(message).split("\n")).strip()
    typer.echo(f"error: {redact(line)}", err=True)
    raise typer.Exit(code)


def emit_json(data: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stdout.flush()
