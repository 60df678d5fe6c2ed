"""The worker's admission queue over Celery's reply channel: a request that waits for a slot is
reported (queued, position), then admitted; the bot's executor hands that on and still returns
the result."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from botcore.inference.payloads import GenerationStatus
from tests.conftest import REDIS_URL, make_settings, need, run_blocking
from tests.workers.engines.test_seam import SlowEngine
from tests.workers.test_tasks import Channel, payload
from workers import runtime as runtime_module
from workers import tasks
from workers.instant_sync import InstantService
from workers.model.engines.host import EngineHost

RUN = uuid.uuid4().hex[:8]


class EngineService(InstantService):
    """The instant model's heads with a real engine host in front of a one-slot engine."""

    def __init__(self) -> None:
        super().__init__(0.0)
        self.host = EngineHost(SlowEngine(capacity=1, tick_s=0.1, pieces=3))

    def engine_host(self) -> EngineHost:
        return self.host


@pytest.fixture
def own_redis() -> Iterator[str]:
    """The test Redis, not flushed: every key and channel here is unique to the test run."""
    need("Redis", 6379)
    yield REDIS_URL


def test_a_request_waiting_for_a_slot_is_reported_queued_then_admitted(
        tmp_path: Path, own_redis: str, monkeypatch: pytest.MonkeyPatch) -> None:
    service = EngineService()
    rt = tasks.WorkerRuntime(make_settings(tmp_path, redis_url=own_redis), service=service)
    monkeypatch.setattr(runtime_module, "_runtime", rt)
    channel = Channel(rt.redis, f"botcore:out:queue-{RUN}")
    try:
        outcomes: dict[str, str] = {}

        def run(i: int) -> None:
            outcomes[f"g-{i}"] = tasks.generate(payload(f"c:{i}:1", stream=True),
                                                reply_to=channel.name, key=f"g-{i}-{RUN}",
                                                deadline=time.time() + 30)

        first = threading.Thread(target=run, args=(1,))
        first.start()
        time.sleep(0.1)
        second = threading.Thread(target=run, args=(2,))
        second.start()
        first.join(30)
        second.join(30)
        msgs = channel.messages(0.5)
    finally:
        channel.pubsub.close()
        service.host.close()
        rt.redis.close()
    assert outcomes == {"g-1": "ok", "g-2": "ok"}
    two = [m for m in msgs if m["id"] == f"g-2-{RUN}"]
    kinds = [(m["type"], m["data"].get("state") if m["type"] == "status" else None)
             for m in two]
    assert kinds[:2] == [("status", "queued"), ("status", "admitted")]
    assert two[0]["data"]["position"] == 1 and kinds[-1][0] == "result"
    one = [m for m in msgs if m["id"] == f"g-1-{RUN}"]
    assert [m["data"]["state"] for m in one if m["type"] == "status"] == ["admitted"]


def test_the_bot_hands_status_news_on_and_still_gets_the_result(tmp_path: Path,
                                                                 own_redis: str) -> None:
    from botcore.inference.celery_client import CeleryExecutor

    settings = make_settings(tmp_path, redis_url=own_redis, broker_url="amqp://127.0.0.1:1//")

    async def main() -> tuple[list[GenerationStatus], dict[str, Any]]:
        ex = CeleryExecutor(settings)
        await ex._ensure_listener()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        ex._waiters["g-q"] = queue
        seen: list[GenerationStatus] = []

        async def on_status(status: GenerationStatus) -> None:
            seen.append(status)

        waiting = asyncio.create_task(ex._wait("g-q", queue, None, on_status))
        for data in ({"request_id": "q", "state": "queued", "position": 3, "eta_s": 4.5},
                     {"request_id": "q", "state": "admitted"}):
            await ex.redis.publish(ex.channel, json.dumps({"id": "g-q", "type": "status",
                                                           "data": data}))
        await ex.redis.publish(ex.channel, json.dumps({"id": "g-q", "type": "result",
                                                       "data": {"text": "hi"}}))
        result = await asyncio.wait_for(waiting, 5)
        await ex.aclose()
        return seen, result

    seen, result = cast(tuple[list[GenerationStatus], dict[str, Any]], run_blocking(main()))
    assert [(s.state, s.position) for s in seen] == [("queued", 3), ("admitted", 0)]
    assert seen[0].eta_s == 4.5 and result == {"text": "hi"}
