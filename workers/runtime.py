"""What one model worker process holds (settings, Redis for replies, the model, the batchers),
created lazily by :func:`runtime`.

Its own module so the Celery app's start-up signals (:mod:`workers.celery_app`) and the remote
control command (:mod:`workers.control`) can reach it without importing the tasks, which import
the app.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from botcore.config import Settings, load_settings
from botcore.inference.celery_config import (
    DEAD_LETTERS,
    DEAD_LETTERS_MAX,
    DELIVERY_PREFIX,
    RESULT_PREFIX,
    RESULT_TTL_S,
)
from botcore.inference.payloads import Understanding
from workers.batching import ListBatcher


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

    def finish(self, channel: str | None, key: str, data: dict[str, object]) -> None:
        """Store then publish the result, in one round trip (the stored copy serves
        redeliveries and a bot that missed the publish)."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(f"{RESULT_PREFIX}{key}", json.dumps(data, ensure_ascii=False), ex=RESULT_TTL_S)
        if channel:
            pipe.publish(channel, self._message(key, "result", data))
        pipe.execute()

    def arrive(self, key: str, message_id: str) -> tuple[object | None, int]:
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
