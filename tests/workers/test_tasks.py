"""The model tasks' frame, called in this process against the real Redis: idempotency, the
dead-letter path, deadlines. (The same tasks through a real worker process and broker:
tests/workers/test_tasks_worker.py and tests/integration/test_faults.py.)"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import pytest
import redis

from botcore.inference.celery_config import DEAD_LETTERS, DELIVERY_PREFIX, MAX_DELIVERIES
from botcore.inference.payloads import ChatTurn, GenerateRequest, GenerateResult
from tests.conftest import REDIS_URL, make_settings, need
from workers import runtime as runtime_module
from workers import tasks
from workers.instant_sync import InstantService


class Model(InstantService):
    """The instant model with a switchable failure and a record of its batches."""

    def __init__(self, delay_s: float = 0.0) -> None:
        super().__init__(delay_s)
        self.batches: list[list[str]] = []
        self.fail = False

    def generate(self, requests: Sequence[GenerateRequest],
                 on_text: Callable[[int, str], None] | None = None) -> list[GenerateResult]:
        self.batches.append([r.request_id for r in requests])
        if self.fail:
            raise RuntimeError("CUDA out of memory")
        return super().generate(requests, on_text)


class Channel:
    """A reply channel the test listens on, like the bot's."""

    def __init__(self, client: redis.Redis, name: str) -> None:
        self.name = name
        self.pubsub = client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(name)
        while self.pubsub.get_message(timeout=1.0) is None and not self.pubsub.subscribed:
            pass

    def messages(self, wait_s: float = 0.3) -> list[dict[str, Any]]:
        out, end = [], time.monotonic() + wait_s
        while time.monotonic() < end:
            msg = self.pubsub.get_message(timeout=0.05)
            if msg and msg["type"] == "message":
                out.append(json.loads(msg["data"]))
        return out


@pytest.fixture
def model() -> Model:
    return Model()


@pytest.fixture
def own_redis() -> Iterator[str]:
    """A Redis database of this module's own (13), so parallel sessions on db 9 cannot flush it."""
    need("Redis", 6379)
    url = REDIS_URL.rsplit("/", 1)[0] + "/13"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def worker_runtime(tmp_path: Path, own_redis: str, model: Model,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[tasks.WorkerRuntime]:
    rt = tasks.WorkerRuntime(make_settings(tmp_path, redis_url=own_redis), service=model)
    monkeypatch.setattr(runtime_module, "_runtime", rt)
    yield rt
    rt.collector.close()
    rt.redis.close()


@pytest.fixture
def channel(worker_runtime: tasks.WorkerRuntime) -> Iterator[Channel]:
    ch = Channel(worker_runtime.redis, "botcore:out:test")
    yield ch
    ch.pubsub.close()


def payload(rid: str = "telegram:1:42", text: str = "hello", **extra: Any) -> dict[str, Any]:
    return GenerateRequest(request_id=rid, messages=[ChatTurn(role="user", content=text)],
                           **extra).model_dump(mode="json")


def dead_letters(rt: tasks.WorkerRuntime) -> list[dict[str, Any]]:
    return [json.loads(x) for x in rt.redis.lrange(DEAD_LETTERS, 0, -1)]


def test_a_redelivered_task_republishes_the_stored_result_without_generating(
        worker_runtime: tasks.WorkerRuntime, model: Model, channel: Channel) -> None:
    first = tasks.generate(payload(), reply_to=channel.name, key="g-telegram:1:42",
                           deadline=time.time() + 30)
    again = tasks.generate(payload(), reply_to=channel.name, key="g-telegram:1:42",
                           deadline=time.time() + 30)
    assert (first, again) == ("ok", "replayed")
    assert model.batches == [["telegram:1:42"]]  # the model ran once
    msgs = channel.messages()
    assert [m["type"] for m in msgs] == ["result", "result"]
    assert msgs[0]["data"] == msgs[1]["data"]
    assert msgs[0]["data"]["text"] == "You said: hello"


def test_streamed_deltas_come_before_the_result(worker_runtime: tasks.WorkerRuntime,
                                                channel: Channel) -> None:
    tasks.generate(payload(stream=True), reply_to=channel.name, key="g-s",
                   deadline=time.time() + 30)
    msgs = channel.messages()
    assert [m["type"] for m in msgs] == ["delta", "result"]
    assert msgs[0]["data"] == msgs[1]["data"]["text"] and msgs[0]["attempt"]


def test_an_invalid_payload_is_dead_lettered_and_the_bot_told_at_once(
        worker_runtime: tasks.WorkerRuntime, model: Model, channel: Channel) -> None:
    bad = payload()
    bad["max_new_tokens"] = -5
    assert tasks.generate(bad, reply_to=channel.name, key="g-bad") == "dead"
    assert model.batches == []
    [msg] = channel.messages()
    assert msg["type"] == "error" and msg["code"] == "dead" and "max_new_tokens" in msg["data"]
    [entry] = dead_letters(worker_runtime)
    assert entry["task"] == "botcore.generate" and entry["key"] == "g-bad"
    assert entry["reason"].startswith("invalid payload") and '"max_new_tokens": -5' in entry["payload"]
    assert tasks.understand({"texts": "not a list"}, reply_to=channel.name, key="u-bad") == "dead"
    assert len(dead_letters(worker_runtime)) == 2


def test_a_model_failure_is_dead_lettered_with_its_reason(
        worker_runtime: tasks.WorkerRuntime, model: Model, channel: Channel) -> None:
    model.fail = True
    assert tasks.generate(payload(), reply_to=channel.name, key="g-oom") == "dead"
    [msg] = channel.messages()
    assert msg["code"] == "dead" and "CUDA out of memory" in msg["data"]
    assert "RuntimeError: CUDA out of memory" in dead_letters(worker_runtime)[0]["reason"]


def test_a_message_that_keeps_killing_its_worker_is_dead_lettered(
        worker_runtime: tasks.WorkerRuntime, model: Model, channel: Channel) -> None:
    # three earlier deliveries of this broker message died with their worker
    worker_runtime.redis.set(f"{DELIVERY_PREFIX}g-poison", MAX_DELIVERIES)
    assert tasks.generate(payload(), reply_to=channel.name, key="g-poison") == "dead"
    assert model.batches == []
    assert "delivered 4 times" in dead_letters(worker_runtime)[0]["reason"]
    # a second delivery before that limit is simply run
    worker_runtime.redis.set(f"{DELIVERY_PREFIX}g-once", 1)
    assert tasks.generate(payload("x:1:2"), reply_to=channel.name, key="g-once") == "ok"


def test_past_its_deadline_a_task_is_dropped_and_a_slow_one_answers_timeout(
        worker_runtime: tasks.WorkerRuntime, model: Model, channel: Channel) -> None:
    assert tasks.generate(payload(), reply_to=channel.name, key="g-late",
                          deadline=time.time() - 1) == "expired"
    assert model.batches == [] and channel.messages(0.1) == []
    model.delay_s = 0.6
    started = time.monotonic()
    assert tasks.generate(payload("t:1:1"), reply_to=channel.name, key="g-slow",
                          deadline=time.time() + 0.2) == "timeout"
    assert time.monotonic() - started < 0.5
    [msg] = channel.messages(0.8)
    assert msg["type"] == "error" and msg["code"] == "timeout"
    assert dead_letters(worker_runtime) == []  # slowness is not poison


def test_concurrent_understand_requests_share_one_model_call(
        worker_runtime: tasks.WorkerRuntime, channel: Channel,
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = worker_runtime.service.understand

    def counting(texts: list[str], with_embedding: bool = False) -> Any:
        calls.append(len(texts))
        time.sleep(0.05)
        return original(texts, with_embedding)

    monkeypatch.setattr(worker_runtime.service, "understand", counting)
    barrier = threading.Barrier(4)

    def one(i: int) -> None:
        barrier.wait()
        tasks.understand({"texts": [f"explain math {i}"], "with_embedding": i % 2 == 0},
                         reply_to=channel.name, key=f"u-{i}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    results = {m["id"]: m["data"]["results"][0] for m in channel.messages()}
    assert sum(calls) == 4 and len(calls) < 4  # met in a batch
    assert set(results) == {"u-0", "u-1", "u-2", "u-3"}
    assert all(r["skill"] == "tutor" for r in results.values())
    assert [results[f"u-{i}"]["embedding"] is not None for i in range(4)] == [True, False, True, False]


def test_a_generation_redone_by_another_worker_does_not_garble_the_stream(
        tmp_path: Path, own_redis: str) -> None:
    """The bot side of the reply protocol: attempt 2 restarts from the beginning after the
    first worker died; the user sees each piece of text once, then the result."""
    import asyncio

    from botcore.inference.celery_client import CeleryExecutor
    from tests.conftest import run_blocking

    settings = make_settings(tmp_path, redis_url=own_redis, broker_url="amqp://127.0.0.1:1//")

    async def main() -> tuple[list[str], dict[str, Any]]:
        ex = CeleryExecutor(settings)
        await ex._ensure_listener()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        ex._waiters["g-x"] = queue
        seen: list[str] = []

        async def on_delta(delta: str) -> None:
            seen.append(delta)

        waiting = asyncio.create_task(ex._wait("g-x", queue, on_delta))
        pub = ex.redis
        for attempt, delta in [("a1", "Hello"), ("a1", " there"), ("a2", "Hello"),
                               ("a2", " there"), ("a2", ", friend"), ("a2", "!")]:
            await pub.publish(ex.channel, json.dumps({"id": "g-x", "type": "delta",
                                                      "data": delta, "attempt": attempt}))
        await pub.publish(ex.channel, json.dumps({"id": "g-x", "type": "result",
                                                  "data": {"text": "Hello there, friend!"}}))
        result = await asyncio.wait_for(waiting, 5)
        await ex.aclose()
        return seen, result

    seen, result = cast(tuple[list[str], dict[str, Any]], run_blocking(main()))
    assert "".join(seen) == "Hello there, friend!" == result["text"]
    assert seen == ["Hello", " there", ", friend", "!"]
