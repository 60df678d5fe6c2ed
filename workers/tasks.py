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

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import redis
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded
from pydantic import BaseModel, Field, ValidationError
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from botcore import metrics
from botcore.config import Settings, load_settings
from botcore.inference.celery_config import (
    DEAD_LETTERS,
    DEAD_LETTERS_MAX,
    DELIVERY_PREFIX,
    MAX_DELIVERIES,
    RESULT_PREFIX,
    RESULT_TTL_S,
)
from botcore.inference.payloads import (
    TASK_EMBED,
    TASK_GENERATE,
    TASK_UNDERSTAND,
    GenerateRequest,
    GenerateResult,
    GenerationStatus,
    Understanding,
)
from workers.batching import BatchCollector, ListBatcher
from workers.celery_app import app

log = logging.getLogger(__name__)


class TextsPayload(BaseModel):
    """The payload of ``botcore.understand`` and ``botcore.embed``."""

    texts: list[str] = Field(max_length=256)
    with_embedding: bool = False


class DeadLetter(Exception):
    """This message must not be retried: dead-letter it with ``reason``."""

    def __init__(self, reason: str, label: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.label = label


class WorkerRuntime:
    """What one worker process holds: settings, Redis for replies, the model, the batchers.

    Args:
        settings: the worker's settings.
        service: a loaded model service to use instead of loading the configured one.
    """

    def __init__(self, settings: Settings, service: Any = None) -> None:
        self.settings = settings
        # Redis restarts must not lose a finished reply: retry each command for a few seconds.
        self.redis = redis.Redis.from_url(
            settings.redis_url or "redis://127.0.0.1:6379/0", decode_responses=True,
            socket_connect_timeout=2, socket_timeout=5,
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 8),
            retry_on_error=[RedisConnectionError, RedisTimeoutError])
        self._service: Any = None
        self._given = service
        self._collector: Any = None
        self._understander: ListBatcher[tuple[str, bool], Understanding] | None = None
        self._embedder: ListBatcher[str, list[float]] | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the model once (thread-safe)."""
        with self._lock:
            if self._service is not None:
                return
            if self._given is not None:
                service: Any = self._given
            elif self.settings.executor == "instant":
                from workers.instant_sync import InstantService

                service = InstantService()
            else:
                from workers.model.service import get_service

                service = get_service(self.settings)
            from workers.executor import generation_queue

            self._collector = generation_queue(service)
            self._understander = ListBatcher(self._understand_batch, "understand")
            self._embedder = ListBatcher(lambda texts: service.embed(texts), "embed")
            self._service = service

    def _understand_batch(self, items: list[tuple[str, bool]]) -> list[Understanding]:
        want = any(flag for _, flag in items)
        results = self._service.understand([text for text, _ in items], want)
        return [r if flag or r.embedding is None else r.model_copy(update={"embedding": None})
                for r, (_, flag) in zip(results, items, strict=True)]

    @property
    def service(self) -> Any:
        self.warm_up()
        return self._service

    @property
    def collector(self) -> Any:
        """Where generation requests go: the engine host (or a batch collector)."""
        self.warm_up()
        assert self._collector is not None
        return self._collector

    @property
    def understander(self) -> ListBatcher[tuple[str, bool], Understanding]:
        self.warm_up()
        assert self._understander is not None
        return self._understander

    @property
    def embedder(self) -> ListBatcher[str, list[float]]:
        self.warm_up()
        assert self._embedder is not None
        return self._embedder

    @property
    def model_version(self) -> str:
        return str(getattr(self._service, "version", "unknown"))

    @staticmethod
    def _message(key: str, kind: str, data: Any, **extra: Any) -> str:
        return json.dumps({"id": key, "type": kind, "data": data, **extra}, ensure_ascii=False)

    def publish(self, channel: str | None, key: str, kind: str, data: Any, **extra: Any) -> None:
        """Send one message (delta, result or error) to the bot's reply channel."""
        if channel:
            self.redis.publish(channel, self._message(key, kind, data, **extra))

    def finish(self, channel: str | None, key: str, data: dict[str, Any]) -> None:
        """Store then publish the result, in one round trip (the stored copy serves
        redeliveries and a bot that missed the publish)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(f"{RESULT_PREFIX}{key}", json.dumps(data, ensure_ascii=False), ex=RESULT_TTL_S)
        if channel:
            pipe.publish(channel, self._message(key, "result", data))
        pipe.execute()

    def arrive(self, key: str, message_id: str) -> tuple[dict[str, Any] | None, int]:
        """On each delivery, in one round trip: the stored result of ``key`` (if it was answered
        before) and how many times this broker message has been delivered so far."""
        name = f"{DELIVERY_PREFIX}{message_id}"
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(f"{RESULT_PREFIX}{key}")
        pipe.incr(name)
        pipe.expire(name, RESULT_TTL_S)
        raw, count, _ = pipe.execute()
        return (json.loads(raw) if raw else None), int(count)

    def dead_letter(self, task: str, key: str, reason: str, payload: Any) -> None:
        """Park a poison message on the dead-letter list (newest first, capped)."""
        entry = json.dumps({"task": task, "key": key, "reason": reason, "at": time.time(),
                            "payload": json.dumps(payload, default=str)[:4000]},
                           ensure_ascii=False)
        pipe = self.redis.pipeline(transaction=False)
        pipe.lpush(DEAD_LETTERS, entry)
        pipe.ltrim(DEAD_LETTERS, 0, DEAD_LETTERS_MAX - 1)
        pipe.execute()


_runtime: WorkerRuntime | None = None
_runtime_lock = threading.Lock()


def runtime() -> WorkerRuntime:
    """The process-wide worker runtime (created lazily)."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            _runtime = WorkerRuntime(load_settings())
        return _runtime


def _run(task: Task, name: str, payload: Any, reply_to: str | None, key: str,
         deadline: float | None, body: Callable[[float, str], dict[str, Any]]) -> str:
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
            rt.finish(reply_to, key, data)
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
def generate(self: Task, payload: dict[str, Any], reply_to: str | None = None, key: str = "",
             deadline: float | None = None) -> str:
    """Generate one reply, streaming deltas to ``reply_to`` when the request asks for it."""
    rt = runtime()
    attempt = uuid.uuid4().hex[:8]

    def body(left: float, k: str) -> dict[str, Any]:
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
        return result.model_dump(mode="json")

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
def understand(self: Task, payload: dict[str, Any], reply_to: str | None = None, key: str = "",
               deadline: float | None = None) -> str:
    """Run every head on the texts (batched with concurrent requests: one trunk pass)."""
    def body(left: float, _key: str) -> dict[str, Any]:
        p = TextsPayload.model_validate(payload)
        _pick_up_activated_version(runtime().service)
        items = [(t, p.with_embedding) for t in p.texts]
        results = runtime().understander.submit(items).result(timeout=left)
        return {"results": [r.model_dump(mode="json") for r in results]}

    outcome = _run(self, TASK_UNDERSTAND, payload, reply_to, key, deadline, body)
    metrics.TASKS.labels(TASK_UNDERSTAND, outcome).inc()
    return outcome


@app.task(name=TASK_EMBED, bind=True)
def embed(self: Task, payload: dict[str, Any], reply_to: str | None = None, key: str = "",
          deadline: float | None = None) -> str:
    """Retrieval embeddings (batched with concurrent requests)."""
    def body(left: float, _key: str) -> dict[str, Any]:
        p = TextsPayload.model_validate(payload)
        return {"vectors": runtime().embedder.submit(p.texts).result(timeout=left)}

    outcome = _run(self, TASK_EMBED, payload, reply_to, key, deadline, body)
    metrics.TASKS.labels(TASK_EMBED, outcome).inc()
    return outcome
