"""The batch collectors: concurrent requests meet in one model call, flushed by size or time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from botcore.inference.payloads import ChatTurn, GenerateRequest, GenerateResult
from workers.batching import BatchCollector, ListBatcher
from workers.instant_sync import InstantService


def request(i: int, text: str = "hi") -> GenerateRequest:
    return GenerateRequest(request_id=f"r{i}", messages=[ChatTurn(role="user", content=f"{text} {i}")])


class RecordingModel(InstantService):
    """The instant model, recording the size of every batch it is given."""

    def __init__(self, delay_s: float = 0.0, fail_on: str | None = None) -> None:
        super().__init__(delay_s)
        self.calls: list[int] = []
        self.fail_on = fail_on

    def generate(self, requests: Sequence[GenerateRequest],
                 on_text: Callable[[int, str], None] | None = None) -> list[GenerateResult]:
        self.calls.append(len(requests))
        if self.fail_on and any(self.fail_on in r.messages[-1].content for r in requests):
            raise RuntimeError("model exploded")
        return super().generate(requests, on_text)


def submit_together(collector: BatchCollector, n: int) -> list[GenerateResult]:
    """n threads submit at the same moment (like n Celery task threads) and wait."""
    barrier = threading.Barrier(n)

    def one(i: int) -> GenerateResult:
        barrier.wait()
        return collector.submit(request(i)).result(timeout=10)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_concurrent_requests_run_as_one_batch() -> None:
    model = RecordingModel()
    collector = BatchCollector(model, max_batch=8, max_wait_s=0.2)
    try:
        results = submit_together(collector, 8)
    finally:
        collector.close()
    assert model.calls == [8]
    assert list(collector.batch_sizes) == [8]
    assert [r.text for r in results] == [f"You said: hi {i}" for i in range(8)]
    assert [r.request_id for r in results] == [f"r{i}" for i in range(8)]


def test_a_full_batch_flushes_without_waiting_and_the_rest_follows() -> None:
    model = RecordingModel(delay_s=0.05)
    collector = BatchCollector(model, max_batch=8, max_wait_s=5.0)
    try:
        started = time.monotonic()
        futures = [collector.submit(request(i)) for i in range(12)]
        first8 = [f.result(timeout=10) for f in futures[:8]]
        assert time.monotonic() - started < 2.0  # flushed at 8, not after max_wait_s
        # the last 4 wait for max_wait_s (5 s) unless more come: closing flushes nothing, so
        # feed 4 more to fill the second batch
        futures += [collector.submit(request(i)) for i in range(12, 16)]
        rest = [f.result(timeout=10) for f in futures[8:]]
    finally:
        collector.close()
    assert model.calls == [8, 8]
    assert len(first8) == 8 and len(rest) == 8


def test_a_lone_request_is_flushed_after_max_wait() -> None:
    model = RecordingModel()
    collector = BatchCollector(model, max_batch=8, max_wait_s=0.05)
    try:
        started = time.monotonic()
        result = collector.submit(request(1)).result(timeout=5)
        elapsed = time.monotonic() - started
    finally:
        collector.close()
    assert result.text == "You said: hi 1"
    assert 0.04 <= elapsed < 1.0
    assert model.calls == [1]


def test_a_cancelled_request_never_reaches_the_model() -> None:
    model = RecordingModel(delay_s=0.3)
    collector = BatchCollector(model, max_batch=1, max_wait_s=0.0)
    try:
        busy = collector.submit(request(1))
        time.sleep(0.1)  # the first batch is running
        gave_up = collector.submit(request(2))
        assert gave_up.cancel()
        after = collector.submit(request(3))
        assert busy.result(timeout=5).request_id == "r1"
        assert after.result(timeout=5).request_id == "r3"
    finally:
        collector.close()
    assert model.calls == [1, 1]


def test_a_failing_batch_fails_its_requests_and_the_collector_goes_on() -> None:
    model = RecordingModel(fail_on="boom")
    collector = BatchCollector(model, max_batch=8, max_wait_s=0.2)
    try:
        bad = collector.submit(request(1, "boom"))
        with pytest.raises(RuntimeError, match="exploded"):
            bad.result(timeout=5)
        assert collector.submit(request(2)).result(timeout=5).text == "You said: hi 2"
    finally:
        collector.close()


def test_stream_deltas_reach_their_own_request_and_a_broken_sink_is_contained() -> None:
    model = RecordingModel()
    collector = BatchCollector(model, max_batch=2, max_wait_s=0.5)
    got: list[str] = []

    def broken(_: str) -> None:
        raise ValueError("consumer gone")

    try:
        f1 = collector.submit(request(1), got.append)
        f2 = collector.submit(request(2), broken)
        assert f1.result(timeout=5).text == "You said: hi 1"
        assert f2.result(timeout=5).text == "You said: hi 2"
    finally:
        collector.close()
    assert "".join(got) == "You said: hi 1"
    assert model.calls == [2]


def test_list_batcher_concatenates_requests_and_splits_results() -> None:
    calls: list[list[str]] = []

    def upper(items: list[str]) -> list[str]:
        calls.append(list(items))
        return [s.upper() for s in items]

    batcher: ListBatcher[str, str] = ListBatcher(upper, "test", max_batch=16, max_wait_s=0.2)
    barrier = threading.Barrier(4)

    def one(i: int) -> list[str]:
        barrier.wait()
        return batcher.submit([f"a{i}", f"b{i}"][: 1 + i % 2]).result(timeout=5)

    try:
        with ThreadPoolExecutor(4) as pool:
            out = list(pool.map(one, range(4)))
    finally:
        batcher.close()
    assert out == [["A0"], ["A1", "B1"], ["A2"], ["A3", "B3"]]
    assert len(calls) == 1 and sorted(calls[0]) == ["a0", "a1", "a2", "a3", "b1", "b3"]


def test_list_batcher_caps_items_per_call_and_reports_bad_models() -> None:
    calls: list[int] = []

    def count(items: list[int]) -> list[int]:
        calls.append(len(items))
        return items if len(items) < 5 else items[:-1]  # drops one: a broken model

    batcher: ListBatcher[int, int] = ListBatcher(count, "test", max_batch=8, max_wait_s=0.3,
                                                 max_items=4)
    try:
        futures = [batcher.submit([i, i]) for i in range(3)]  # 6 items: chunks of 4 and 2
        assert [f.result(timeout=5) for f in futures] == [[0, 0], [1, 1], [2, 2]]
        big = batcher.submit(list(range(6)))  # one request larger than max_items runs alone
        with pytest.raises(RuntimeError, match="returned 5 results for 6"):
            big.result(timeout=5)
    finally:
        batcher.close()
    assert calls == [4, 2, 6]


def test_the_window_shrinks_for_a_fast_model_so_it_is_not_slowed() -> None:
    model = RecordingModel()
    collector = BatchCollector(model, max_batch=8, max_wait_s=0.5)
    try:
        started = time.monotonic()
        collector.submit(request(1)).result(timeout=5)
        first = time.monotonic() - started
        started = time.monotonic()
        collector.submit(request(2)).result(timeout=5)
        second = time.monotonic() - started
    finally:
        collector.close()
    assert first >= 0.45  # no history yet: the full window
    assert second < 0.1  # the model took ~0 ms, so waiting 500 ms for company is not worth it
    assert collector.window_s() < 0.01
