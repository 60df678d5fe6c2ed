"""The model tasks through a real `botctl run worker` process on the real broker: batching of
concurrent requests, streaming, the dead-letter path, duplicate delivery and the worker's
Prometheus metrics."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
import urllib.request
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
import redis

from botcore.config import Settings
from botcore.errors import InferenceError
from botcore.inference.celery_client import CeleryExecutor
from botcore.inference.celery_config import DEAD_LETTERS
from botcore.inference.payloads import ChatTurn, GenerateRequest
from tests.conftest import REDIS_URL
from tests.conftest import run_blocking as _run_blocking
from tests.integration.conftest import WorkerProcess, pg_ready, purge_queues, service_env

__all__ = ["pg_ready"]  # the session fixture, used here too

pytestmark = [pytest.mark.services, pytest.mark.slow]
T = TypeVar("T")


def run_blocking(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on its own loop in another thread (typed)."""
    return cast(T, _run_blocking(coro))
OWN_REDIS = REDIS_URL.rsplit("/", 1)[0] + "/14"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_worker(tmp_path_factory: pytest.TempPathFactory, pg_ready: str,
                amqp_url: str) -> Iterator[tuple[WorkerProcess, dict[str, str]]]:
    """One worker for the module: instant model taking 0.3 s per batch, metrics served."""
    tmp = tmp_path_factory.mktemp("worker")
    redis.Redis.from_url(OWN_REDIS).flushdb()
    purge_queues(amqp_url)
    env = service_env(tmp, pg_ready, OWN_REDIS, amqp_url, BOTCORE_INSTANT_DELAY_S="0.3",
                      BOTCORE_METRICS_PORT=str(free_port()), BOTCORE_REPLY_TIMEOUT_S="20")
    worker = WorkerProcess(env, tmp / "worker.log", concurrency=8)
    try:
        worker.wait_ready()
        yield worker, env
    finally:
        worker.stop()


def bot_settings(env: dict[str, str]) -> Settings:
    return Settings(_env_file=None, data_dir=Path(env["BOTCORE_DATA_DIR"]),  # type: ignore[call-arg]
                    redis_url=env["BOTCORE_REDIS_URL"], broker_url=env["BOTCORE_BROKER_URL"],
                    reply_timeout_s=20)


def scrape(env: dict[str, str]) -> str:
    url = f"http://127.0.0.1:{env['BOTCORE_METRICS_PORT']}/metrics"
    with urllib.request.urlopen(url, timeout=5) as resp:
        return str(resp.read().decode())


def sample(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def request(i: int, stream: bool = False) -> GenerateRequest:
    return GenerateRequest(request_id=f"w:{i}:{time.time_ns()}", stream=stream,
                           messages=[ChatTurn(role="user", content=f"question {i}")])


def test_concurrent_generations_meet_in_batches_on_one_worker(
        live_worker: tuple[WorkerProcess, dict[str, str]]) -> None:
    _, env = live_worker
    before = scrape(env)

    async def main() -> list[str]:
        ex = CeleryExecutor(bot_settings(env))
        try:
            results = await asyncio.gather(*(ex.generate(request(i)) for i in range(8)))
        finally:
            await ex.aclose()
        return [r.text for r in results]

    started = time.monotonic()
    texts = run_blocking(main())
    elapsed = time.monotonic() - started
    assert texts == [f"You said: question {i}" for i in range(8)]
    after = scrape(env)
    labels = '{kind="generate"}'
    batches = sample(after, "botcore_batch_size_count", labels) - sample(
        before, "botcore_batch_size_count", labels)
    requests = sample(after, "botcore_batch_size_sum", labels) - sample(
        before, "botcore_batch_size_sum", labels)
    assert requests == 8
    assert batches <= 3, f"8 concurrent requests ran in {batches} batches"
    assert elapsed < 8 * 0.3  # one at a time would take 2.4 s of model time alone
    assert sample(after, "botcore_generated_tokens_total") > 0
    assert 'botcore_queue_depth{queue="gpu"}' in after


def test_tokens_stream_through_the_worker_before_the_result(
        live_worker: tuple[WorkerProcess, dict[str, str]]) -> None:
    _, env = live_worker

    async def main() -> tuple[list[tuple[float, str]], float, str]:
        ex = CeleryExecutor(bot_settings(env))
        deltas: list[tuple[float, str]] = []

        async def on_delta(text: str) -> None:
            deltas.append((time.monotonic(), text))

        try:
            result = await ex.generate(request(1, stream=True), on_delta)
        finally:
            await ex.aclose()
        return deltas, time.monotonic(), result.text

    deltas, done_at, text = run_blocking(main())
    assert deltas and "".join(d for _, d in deltas) == text == "You said: question 1"
    assert all(at <= done_at for at, _ in deltas)


def test_a_poison_message_gets_an_error_at_once_and_lands_in_the_dead_letter_list(
        live_worker: tuple[WorkerProcess, dict[str, str]]) -> None:
    _, env = live_worker

    async def main() -> float:
        ex = CeleryExecutor(bot_settings(env))
        started = time.monotonic()
        try:
            with pytest.raises(InferenceError, match="invalid payload"):
                await ex.understand(["x"] * 300)  # more texts than a task accepts
        finally:
            await ex.aclose()
        return time.monotonic() - started

    assert run_blocking(main()) < 5  # not the 20 s reply timeout
    entries = [json.loads(e) for e in redis.Redis.from_url(OWN_REDIS).lrange(DEAD_LETTERS, 0, -1)]
    assert any(e["task"] == "botcore.understand" and "invalid payload" in e["reason"]
               for e in entries)
    assert 'botcore_dead_letters_total{reason="invalid",task="botcore.understand"}' in scrape(env)


def test_a_duplicated_task_is_answered_from_the_stored_result(
        live_worker: tuple[WorkerProcess, dict[str, str]]) -> None:
    worker, env = live_worker
    req = request(7)

    async def main() -> tuple[str, str]:
        ex = CeleryExecutor(bot_settings(env))
        try:
            first = await ex.generate(req)
            second = await ex.generate(req)  # the same request id: a duplicate delivery
        finally:
            await ex.aclose()
        return first.text, second.text

    assert run_blocking(main()) == ("You said: question 7", "You said: question 7")
    log = worker.log_path.read_text()
    assert f"task g-{req.request_id} already answered" in log


def test_a_worker_whose_model_cannot_load_exits_instead_of_taking_tasks(
        tmp_path: Path, pg_ready: str, amqp_url: str) -> None:
    env = service_env(tmp_path, pg_ready, OWN_REDIS, amqp_url, BOTCORE_EXECUTOR="local",
                      BOTCORE_ENCODER_MODEL=str(tmp_path / "no-such-model"), HF_HUB_OFFLINE="1",
                      BOTCORE_DEVICE="cpu")
    worker = WorkerProcess(env, tmp_path / "broken.log", concurrency=2)
    try:
        assert worker.proc.wait(120) == 3
    finally:
        worker.stop()
    log = worker.log_path.read_text()
    assert "the model failed to load; the worker exits" in log
    assert "worker ready" not in log


def test_gpus_flag_runs_one_worker_process_per_device_and_stops_them_all(
        tmp_path: Path, pg_ready: str, amqp_url: str) -> None:
    """`botctl run worker --gpus 0,1` (the instant model ignores the device, so this runs
    without GPUs): two worker processes with their own node names and metrics ports, and a
    SIGTERM to the parent stops both."""
    import signal
    import subprocess

    import psutil

    from tests.integration.conftest import BOTCTL

    port = free_port()
    env = service_env(tmp_path, pg_ready, OWN_REDIS, amqp_url,
                      BOTCORE_METRICS_PORT=str(port))
    log_path = tmp_path / "gpus.log"
    with log_path.open("w") as log:
        parent = subprocess.Popen([BOTCTL, "run", "worker", "--gpus", "0,1", "--concurrency", "2"],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            end = time.monotonic() + 90
            while log_path.read_text().count("worker ready") < 2:
                assert parent.poll() is None, log_path.read_text()
                assert time.monotonic() < end, log_path.read_text()
                time.sleep(0.2)
            children = [c for c in psutil.Process(parent.pid).children()
                        if "resource_tracker" not in " ".join(c.cmdline())]
            assert len(children) == 2
            text = log_path.read_text()
            assert "gpu0@" in text and "gpu1@" in text
            for p in (port, port + 1):
                with urllib.request.urlopen(f"http://127.0.0.1:{p}/metrics", timeout=5) as r:
                    assert b"botcore_batch_size" in r.read()
            parent.send_signal(signal.SIGTERM)
            assert parent.wait(30) == 0
            _, alive = psutil.wait_procs(children, timeout=10)
            assert not alive
        finally:
            if parent.poll() is None:
                for child in psutil.Process(parent.pid).children():
                    child.kill()
                parent.kill()
                parent.wait()
