"""Model tasks: thin like web views (validate, call the model, publish the reply).

Every task takes ``payload``, ``reply_to`` (the bot's reply channel), ``key`` (the idempotency
key, from the request id) and ``deadline`` (epoch seconds after which the bot no longer waits).

- Idempotent: the result is stored under the key before it is published, so a redelivered task
  (worker killed, ``acks_late``) republishes the stored result instead of running again.
- Poison messages go to the dead-letter list (:data:`~botcore.inference.celery_config.DEAD_LETTERS`)
  with the reason, and the bot gets an error at once instead of waiting: a payload that does not
  validate, a task that raised, or a message delivered more than ``MAX_DELIVERIES`` times (its
  worker died each time).
- Deadlines: the threads pool cannot enforce Celery time limits, so each task waits for its
  batch at most until the bot's deadline and then answers ``timeout`` (the bot replies with its
  fallback text); a message that arrives after its deadline is dropped unanswered.
- Concurrent generate, understand and embed requests of one worker process meet in batchers.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from pydantic import BaseModel, ValidationError
from redis.exceptions import RedisError

from botcore import metrics
from botcore.inference.celery_config import (
    MAX_DELIVERIES,
)
from botcore.inference.payloads import (
    TASK_EMBED,
    TASK_GENERATE,
    TASK_UNDERSTAND,
    EmbedResults,
    GenerateRequest,
    GenerateResult,
    GenerationStatus,
    TextsPayload,
    UnderstandResults,
)
from workers.batching import BatchCollector
from workers.celery_app import app
from workers.runtime import WorkerRuntime as WorkerRuntime
from workers.runtime import runtime

log = logging.getLogger(__name__)


class DeadLetter(Exception):
    """This message must not be retried: dead-letter it with ``reason``."""

    def __init__(self, reason: str, label: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.label = label


def _run(task: Task, name: str, payload: object, reply_to: str | None, key: str,
         deadline: float | None, body: Callable[[float, str], BaseModel]) -> str:
    """The common frame of every model task; returns the outcome (for logs and metrics)."""
    rt = runtime()
    key = key or f"{name}:{task.request.id}"
    try:
        stored, count = rt.arrive(key, str(task.request.id or key))
    except RedisError as exc:  # replies go through Redis: without it, nobody hears us
        log.error("task %s: Redis unavailable (%s); the bot will time out", key, exc)
        return "no_redis"
    if stored is not None:
        log.info("task %s already answered; republishing the stored result", key)
        rt.publish(reply_to, key, "result", stored)
        return "replayed"
    left = (deadline - time.time()) if deadline else rt.settings.reply_timeout_s
    if left <= 0:
        log.warning("task %s arrived %.1fs after its deadline; dropped", key, -left)
        return "expired"
    try:
        if count > MAX_DELIVERIES:
            raise DeadLetter(f"delivered {count} times: its worker died each time", "redelivered")
        data = body(left, key)
    except (FutureTimeout, SoftTimeLimitExceeded):
        log.warning("task %s: no result within %.1fs", key, left)
        try:
            rt.publish(reply_to, key, "error", "time limit exceeded", code="timeout")
        except RedisError:
            pass  # the bot times out by itself
        return "timeout"
    except DeadLetter as exc:
        reason, label = exc.reason, exc.label
    except ValidationError as exc:
        reason, label = f"invalid payload: {exc.errors(include_url=False)}", "invalid"
    except Exception as exc:
        log.exception("task %s failed", key)
        reason, label = f"{type(exc).__name__}: {exc}", "failed"
    else:
        try:
            rt.finish(reply_to, key, data.model_dump(mode="json"))
        except RedisError as exc:
            log.error("task %s: Redis unavailable, the result is lost: %s", key, exc)
            return "no_redis"
        return "ok"
    log.error("task %s dead-lettered: %s", key, reason)
    metrics.DEAD_LETTERS.labels(name, label).inc()
    try:
        rt.dead_letter(name, key, reason, payload)
        rt.publish(reply_to, key, "error", reason, code="dead")
    except RedisError as exc:
        log.error("task %s: Redis unavailable, the dead letter is lost: %s", key, exc)
    return "dead"


@app.task(name=TASK_GENERATE, bind=True)
def generate(self: Task, payload: dict[str, object], reply_to: str | None = None, key: str = "",
             deadline: float | None = None) -> str:
    """Generate one reply, streaming deltas to ``reply_to`` when the request asks for it."""
    rt = runtime()
    attempt = uuid.uuid4().hex[:8]

    def body(left: float, k: str) -> GenerateResult:
        request = GenerateRequest.model_validate(payload)
        sink = None
        if request.stream:
            def sink(delta: str) -> None:
                rt.publish(reply_to, k, "delta", delta, attempt=attempt)
        collector = rt.collector
        if isinstance(collector, BatchCollector):
            future = collector.submit(request, sink)
        else:  # the engine host also says when the request waits for a slot
            def status(st: GenerationStatus) -> None:
                rt.publish(reply_to, k, "status", st.model_dump(mode="json"))
            future = collector.submit(request, sink, on_status=status)
        try:
            result: GenerateResult = future.result(timeout=left)
        except FutureTimeout:
            future.cancel()  # still queued: it never reaches the model
            raise
        return result

    outcome = _run(self, TASK_GENERATE, payload, reply_to, key, deadline, body)
    metrics.TASKS.labels(TASK_GENERATE, outcome).inc()
    return outcome


def _pick_up_activated_version(service: Any) -> None:
    """`botctl model activate` takes effect without a restart (checked at most every 10 s)."""
    reload = getattr(service, "reload_if_changed", None)
    if reload is not None:
        try:
            reload()
        except Exception:  # keep serving the loaded version
            log.warning("could not load the activated model version", exc_info=True)


@app.task(name=TASK_UNDERSTAND, bind=True)
def understand(self: Task, payload: dict[str, object], reply_to: str | None = None, key: str = "",
               deadline: float | None = None) -> str:
    """Run every head on the texts (batched with concurrent requests: one trunk pass)."""
    def body(left: float, _key: str) -> UnderstandResults:
        p = TextsPayload.model_validate(payload)
        _pick_up_activated_version(runtime().service)
        items = [(t, p.with_embedding) for t in p.texts]
        return UnderstandResults(results=runtime().understander.submit(items).result(timeout=left))

    outcome = _run(self, TASK_UNDERSTAND, payload, reply_to, key, deadline, body)
    metrics.TASKS.labels(TASK_UNDERSTAND, outcome).inc()
    return outcome


@app.task(name=TASK_EMBED, bind=True)
def embed(self: Task, payload: dict[str, object], reply_to: str | None = None, key: str = "",
          deadline: float | None = None) -> str:
    """Retrieval embeddings (batched with concurrent requests)."""
    def body(left: float, _key: str) -> EmbedResults:
        p = TextsPayload.model_validate(payload)
        return EmbedResults(vectors=runtime().embedder.submit(p.texts).result(timeout=left))

    outcome = _run(self, TASK_EMBED, payload, reply_to, key, deadline, body)
    metrics.TASKS.labels(TASK_EMBED, outcome).inc()
    return outcome
