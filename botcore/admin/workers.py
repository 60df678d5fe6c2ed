"""`botctl workers status`: the Celery model workers online, their queues and loaded model.

The bot never imports worker code: this builds a bare Celery app from the shared settings and
asks the workers over the broker (``inspect`` for queues and stats, and the ``botcore_model``
remote-control command that ``workers/control.py`` registers for the model version).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict

from botcore.config import Settings
from botcore.errors import ConfigError, InferenceError
from botcore.jsontypes import JsonObject

MODEL_COMMAND = "botcore_model"
"""Remote-control command answered by each worker: ``{"model_version": str, "loaded": bool,
"device": str}``."""


class ModelReport(TypedDict):
    """A worker's answer to ``MODEL_COMMAND``: the model version it has loaded, if any."""

    model_version: str | None
    loaded: bool
    device: str


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """One worker as the broker sees it."""

    name: str
    queues: list[str] = field(default_factory=list)
    active_tasks: int = 0
    concurrency: int | None = None
    pid: int | None = None
    uptime_s: int | None = None
    model_version: str | None = None
    model_loaded: bool | None = None
    device: str | None = None

    def as_dict(self) -> JsonObject:
        """JSON-ready."""
        return asdict(self)


def _collect(settings: Settings, timeout: float) -> list[WorkerInfo]:
    from celery import Celery

    from botcore.inference.celery_config import celery_settings

    app = Celery("botctl-workers")
    app.conf.update(celery_settings(settings))
    try:
        with app.connection_for_write() as conn:  # fail fast instead of Celery's retry loop
            conn.ensure_connection(max_retries=1, timeout=timeout)
        pings = app.control.inspect(timeout=timeout).ping() or {}
        if not pings:
            return []
        # Now that we know who answers, each further call returns as soon as all have replied.
        names = sorted(pings)
        insp = app.control.inspect(destination=names, timeout=timeout, limit=len(names))
        queues = insp.active_queues() or {}
        active = insp.active() or {}
        stats = insp.stats() or {}
        models: dict[str, Any] = {}
        for reply in app.control.broadcast(MODEL_COMMAND, reply=True, timeout=timeout,
                                           destination=names, limit=len(names)) or []:
            models.update(reply)
    finally:
        app.close()
    out = []
    for name in sorted(pings):
        st = stats.get(name, {})
        model = models.get(name)
        model = model if isinstance(model, dict) and "error" not in model else {}
        out.append(WorkerInfo(
            name=name, queues=sorted(q.get("name", "?") for q in queues.get(name, [])),
            active_tasks=len(active.get(name, [])),
            concurrency=(st.get("pool") or {}).get("max-concurrency"), pid=st.get("pid"),
            uptime_s=st.get("uptime"), model_version=model.get("model_version"),
            model_loaded=model.get("loaded"), device=model.get("device")))
    return out


async def workers_status(settings: Settings, wait_s: float = 3.0) -> list[WorkerInfo]:
    """Ask every worker (in a thread: Celery's control API blocks).

    Raises:
        ConfigError: no broker is configured (the model runs in the bot process).
        InferenceError: the broker cannot be reached.
    """
    if not settings.broker_url:
        raise ConfigError("BOTCORE_BROKER_URL is not set: the model runs inside the bot "
                          "process, there are no workers")
    try:
        return await asyncio.to_thread(_collect, settings, wait_s)
    except Exception as exc:  # kombu/amqp/redis errors: the broker is unreachable
        raise InferenceError(f"cannot reach the broker: {type(exc).__name__}: {exc}") from exc
