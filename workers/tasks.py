"""Model tasks: thin like web views (validate, call the model, publish the reply).

Idempotent: a redelivered task (worker killed, ``acks_late``) whose result was already published
republishes the stored result instead of generating again.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any

import redis
from celery.exceptions import SoftTimeLimitExceeded

from botcore.config import Settings, load_settings
from botcore.inference.celery_config import RESULT_PREFIX, RESULT_TTL_S
from botcore.inference.payloads import (
    TASK_EMBED,
    TASK_GENERATE,
    TASK_UNDERSTAND,
    GenerateRequest,
    GenerateResult,
)
from workers.batching import BatchCollector
from workers.celery_app import app

log = logging.getLogger(__name__)


class WorkerRuntime:
    """What one worker process holds: settings, Redis for replies, the model, the batcher."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.redis = redis.Redis.from_url(settings.redis_url or "redis://127.0.0.1:6379/0",
                                          decode_responses=True)
        self._service: Any = None
        self._collector: BatchCollector | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the model once (thread-safe)."""
        with self._lock:
            if self._service is None:
                if self.settings.executor == "instant":
                    from workers.instant_sync import InstantService

                    self._service = InstantService()
                else:
                    from workers.model.service import get_service

                    self._service = get_service(self.settings)
                self._collector = BatchCollector(self._service)

    @property
    def service(self) -> Any:
        self.warm_up()
        return self._service

    @property
    def collector(self) -> BatchCollector:
        self.warm_up()
        assert self._collector is not None
        return self._collector

    @property
    def model_version(self) -> str:
        return str(getattr(self._service, "version", "unknown"))

    def publish(self, channel: str | None, key: str, kind: str, data: Any, **extra: Any) -> None:
        if channel:
            self.redis.publish(channel, json.dumps({"id": key, "type": kind, "data": data,
                                                    **extra}, ensure_ascii=False))

    def finish(self, channel: str | None, key: str, data: dict[str, Any]) -> None:
        """Store then publish the result (the stored copy serves redeliveries and late readers)."""
        self.redis.set(f"{RESULT_PREFIX}{key}", json.dumps(data, ensure_ascii=False),
                       ex=RESULT_TTL_S)
        self.publish(channel, key, "result", data)


_runtime: WorkerRuntime | None = None
_runtime_lock = threading.Lock()


def runtime() -> WorkerRuntime:
    """The process-wide worker runtime (created lazily)."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = WorkerRuntime(load_settings())
        return _runtime


def _replay(rt: WorkerRuntime, reply_to: str | None, key: str) -> bool:
    stored = rt.redis.get(f"{RESULT_PREFIX}{key}")
    if stored is None:
        return False
    log.info("task %s already answered; republishing the stored result", key)
    rt.publish(reply_to, key, "result", json.loads(stored))
    return True


@app.task(name=TASK_GENERATE)
def generate(payload: dict[str, Any], reply_to: str | None = None, key: str = "") -> None:
    """Generate one reply, streaming deltas to ``reply_to``."""
    rt = runtime()
    request = GenerateRequest.model_validate(payload)
    key = key or f"g-{request.request_id}"
    if _replay(rt, reply_to, key):
        return
    attempt = uuid.uuid4().hex[:8]
    sink = None
    if request.stream:
        def sink(delta: str) -> None:
            rt.publish(reply_to, key, "delta", delta, attempt=attempt)
    try:
        result: GenerateResult = rt.collector.submit(request, sink).result(
            timeout=rt.settings.reply_timeout_s)
    except SoftTimeLimitExceeded:
        rt.publish(reply_to, key, "error", "time limit exceeded")
        raise
    except Exception as exc:
        log.exception("generation failed for %s", key)
        rt.publish(reply_to, key, "error", f"{type(exc).__name__}: {exc}")
        raise
    rt.finish(reply_to, key, result.model_dump(mode="json"))


@app.task(name=TASK_UNDERSTAND)
def understand(payload: dict[str, Any], reply_to: str | None = None, key: str = "") -> None:
    """Run every head on the texts (one trunk pass)."""
    rt = runtime()
    texts = [str(t) for t in payload.get("texts", [])]
    try:
        results = rt.service.understand(texts, bool(payload.get("with_embedding")))
    except Exception as exc:
        rt.publish(reply_to, key, "error", f"{type(exc).__name__}: {exc}")
        raise
    rt.publish(reply_to, key, "result", {"results": [r.model_dump(mode="json") for r in results]})


@app.task(name=TASK_EMBED)
def embed(payload: dict[str, Any], reply_to: str | None = None, key: str = "") -> None:
    """Retrieval embeddings."""
    rt = runtime()
    try:
        vectors = rt.service.embed([str(t) for t in payload.get("texts", [])])
    except Exception as exc:
        rt.publish(reply_to, key, "error", f"{type(exc).__name__}: {exc}")
        raise
    rt.publish(reply_to, key, "result", {"vectors": vectors})
