"""The bot's side of Celery: send model tasks by name, await results over Redis pub/sub.

Each bot process subscribes once to its own reply channel (``botcore:out:<uuid>``) and passes
it with every task; workers publish stream deltas and the final result there. No result backend
polling. If a reply was published while the subscription was down (Redis restarted), the worker
also stored it under ``botcore:result:<id>``, which the waiter checks when the channel is quiet.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Sequence

import redis.asyncio as aioredis
from celery import Celery
from pydantic import ValidationError
from redis.exceptions import RedisError

from botcore import metrics
from botcore.config import Settings
from botcore.errors import ConfigError, InferenceError, InferenceTimeout
from botcore.inference.base import StatusCallback, TextDeltaCallback
from botcore.inference.celery_config import (
    DEADLINE_MARGIN_S,
    REPLY_PREFIX,
    RESULT_PREFIX,
    celery_settings,
)
from botcore.inference.payloads import (
    TASK_EMBED,
    TASK_GENERATE,
    TASK_UNDERSTAND,
    EmbedResults,
    GenerateRequest,
    GenerateResult,
    GenerationStatus,
    ReplyMessage,
    Understanding,
    UnderstandResults,
)

log = logging.getLogger(__name__)
QUIET_CHECK_S = 5.0


class CeleryExecutor:
    """Implements :class:`botcore.inference.base.ModelExecutor` over Celery workers."""

    def __init__(self, settings: Settings) -> None:
        if not settings.redis_url:
            raise ConfigError("BOTCORE_BROKER_URL needs BOTCORE_REDIS_URL too (replies come "
                              "back over Redis pub/sub)")
        self.settings = settings
        self.app = Celery("botcore-bot")
        self.app.conf.update(celery_settings(settings))
        self.redis = aioredis.from_url(settings.redis_url, decode_responses=True)
        self.channel = f"{REPLY_PREFIX}{uuid.uuid4().hex}"
        self._waiters: dict[str, asyncio.Queue[ReplyMessage]] = {}
        self._listener: asyncio.Task[None] | None = None
        self._ready: asyncio.Event | None = None
        self._recheck_task: asyncio.Task[None] | None = None

    async def _ensure_listener(self) -> None:
        if self._listener is None or self._listener.done():
            self._ready = asyncio.Event()
            self._listener = asyncio.create_task(self._listen(), name="botcore-reply-listener")
        assert self._ready is not None
        await asyncio.wait_for(self._ready.wait(), 10)

    async def _listen(self) -> None:
        backoff = 0.1
        lost = False
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                assert self._ready is not None
                self._ready.set()
                backoff = 0.1
                if lost:  # replies published while we were away were stored: look now
                    lost = False
                    self._recheck_task = asyncio.create_task(self._recheck())
                async for raw in pubsub.listen():
                    if raw.get("type") != "message":
                        continue
                    msg: ReplyMessage = json.loads(raw["data"])
                    q = self._waiters.get(msg.get("id", ""))
                    if q is not None:
                        q.put_nowait(msg)
            except asyncio.CancelledError:
                await pubsub.aclose()
                raise
            except (RedisError, OSError) as exc:
                log.warning("reply channel lost (%s); resubscribing", type(exc).__name__)
                lost = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
            finally:
                try:
                    await pubsub.aclose()
                except (RedisError, OSError):
                    pass

    async def _call(self, task: str, payload: dict[str, object], key: str,
                    on_delta: TextDeltaCallback | None = None,
                    on_status: StatusCallback | None = None) -> object:
        """Send ``task`` and wait for its result (JSON, validated by the caller)."""
        await self._ensure_listener()
        queue: asyncio.Queue[ReplyMessage] = asyncio.Queue()
        self._waiters[key] = queue
        started = time.perf_counter()
        timeout = self.settings.reply_timeout_s
        # Workers stop trying a little before we stop waiting, so we hear their "timeout";
        # a message still queued when we have given up expires unprocessed.
        deadline = time.time() + max(timeout - DEADLINE_MARGIN_S, timeout / 2)
        try:
            try:
                await asyncio.to_thread(
                    self.app.send_task, task,
                    kwargs={"payload": payload, "reply_to": self.channel, "key": key,
                            "deadline": deadline},
                    task_id=f"{key}:{uuid.uuid4().hex[:8]}", expires=timeout)
            except Exception as exc:
                raise InferenceError(f"could not queue {task}: {exc}") from exc
            result = await self._wait(key, queue, on_delta, on_status)
            metrics.INFERENCE_SECONDS.labels(task).observe(time.perf_counter() - started)
            return result
        finally:
            self._waiters.pop(key, None)

    async def _wait(self, key: str, queue: asyncio.Queue[ReplyMessage],
                    on_delta: TextDeltaCallback | None,
                    on_status: StatusCallback | None = None) -> object:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.reply_timeout_s
        sent = ""  # the streamed text handed to on_delta so far
        attempts: dict[str, str] = {}  # the text of each generation attempt
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise InferenceTimeout(f"no reply for {key}")
            try:
                msg = await asyncio.wait_for(queue.get(), min(QUIET_CHECK_S, remaining))
            except TimeoutError:
                stored = await self._stored(key)
                if stored is None:
                    continue
                msg = {"id": key, "type": "result", "data": stored}
            kind = msg.get("type")
            if kind == "status":  # the worker queued or admitted the request
                if on_status is not None:
                    try:
                        status = GenerationStatus.model_validate(msg.get("data"))
                    except ValidationError:
                        continue
                    await on_status(status)
                continue
            if kind == "delta":
                # A generation redone by another worker (the first one died) streams from the
                # start again: pass on only text that extends what the user already sees.
                name = str(msg.get("attempt", ""))
                if attempts and name not in attempts:
                    log.info("generation for %s restarted on another worker", key)
                text = attempts[name] = attempts.get(name, "") + str(msg["data"])
                if on_delta is not None and len(text) > len(sent) and text.startswith(sent):
                    delta, sent = text[len(sent):], text
                    await on_delta(delta)
                continue
            if kind == "error":
                if msg.get("code") == "timeout":
                    raise InferenceTimeout(f"worker timed out on {key}")
                raise InferenceError(f"worker failed: {msg.get('data')}")
            return msg["data"]

    async def _recheck(self) -> None:
        """After a resubscribe, hand every waiter its stored result, if it has one."""
        for key, queue in list(self._waiters.items()):
            stored = await self._stored(key)
            if stored is not None:
                queue.put_nowait({"id": key, "type": "result", "data": stored})

    async def _stored(self, key: str) -> object | None:
        try:
            raw = await self.redis.get(f"{RESULT_PREFIX}{key}")
        except (RedisError, OSError):
            return None
        return json.loads(raw) if raw else None

    async def understand(self, texts: Sequence[str], *,
                         with_embedding: bool = False) -> list[Understanding]:
        data = await self._call(TASK_UNDERSTAND, {"texts": list(texts),
                                                  "with_embedding": with_embedding},
                                f"u-{uuid.uuid4().hex}")
        return UnderstandResults.model_validate(data).results

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        data = await self._call(TASK_EMBED, {"texts": list(texts)}, f"e-{uuid.uuid4().hex}")
        return EmbedResults.model_validate(data).vectors

    async def generate(self, request: GenerateRequest,
                       on_delta: TextDeltaCallback | None = None, *,
                       on_status: StatusCallback | None = None) -> GenerateResult:
        """Generate on a worker; ``on_status`` hears when it queues the request and admits it."""
        data = await self._call(TASK_GENERATE, request.model_dump(mode="json"),
                                f"g-{request.request_id}", on_delta, on_status)
        return GenerateResult.model_validate(data)

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            try:
                await self._listener
            except (asyncio.CancelledError, Exception):
                pass
        await self.redis.aclose()
