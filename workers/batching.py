"""Collect concurrent model requests into one batch (flush at ``max_batch`` or ``max_wait_s``).

A batch flushes when it holds ``max_batch`` requests or its window closes: ``max_wait_s``
(≤ 50 ms), shortened for fast models to a fraction of the model's time per batch. One
collector thread per kind of work; callers (Celery task threads, the in-process executor)
submit a request and get a :class:`concurrent.futures.Future`. :class:`BatchCollector` batches
generation (deltas for streaming are delivered through the per-request callback from the
collector thread); :class:`ListBatcher` batches list-in/list-out work such as understanding and
embedding, concatenating the items of every waiting request into one model call.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from botcore import metrics
from botcore.inference.payloads import GenerateRequest, GenerateResult

log = logging.getLogger(__name__)

DeltaSink = Callable[[str], None]
T = TypeVar("T")
R = TypeVar("R")


class BatchGenerator(Protocol):
    """What the collector drives (``ModelService`` implements it)."""

    def generate(self, requests: Sequence[GenerateRequest],
                 on_text: Callable[[int, str], None] | None = None) -> list[GenerateResult]: ...


@dataclass(slots=True)
class _Job(Generic[T, R]):
    item: T
    future: Future[R]
    on_delta: DeltaSink | None = None
    queued_at: float = field(default_factory=time.monotonic)


class _Collector(Generic[T, R]):
    """A queue drained by one thread into batches; subclasses run a batch."""

    kind = "batch"

    def __init__(self, *, max_batch: int = 8, max_wait_s: float = 0.05,
                 wait_fraction: float = 0.1) -> None:
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.wait_fraction = wait_fraction
        self._run_s: float | None = None  # moving average of the model's time per batch
        self.batch_sizes: deque[int] = deque(maxlen=10_000)
        """Sizes of the most recent batches (for tests and benchmarks)."""
        self._queue: queue.Queue[_Job[T, R] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name=f"botcore-{self.kind}",
                                        daemon=True)
        self._thread.start()

    def _put(self, item: T, on_delta: DeltaSink | None = None) -> Future[R]:
        fut: Future[R] = Future()
        self._queue.put(_Job(item, fut, on_delta))
        return fut

    def close(self) -> None:
        """Stop the thread after the current batch."""
        self._queue.put(None)
        self._thread.join(timeout=30)

    def window_s(self) -> float:
        """How long a batch waits for company: ``max_wait_s``, or less for a fast model.

        Waiting costs at most ``wait_fraction`` of the model's own time per batch, so a model
        that answers in microseconds (the instant model) is not slowed by a 50 ms window, and a
        model that takes seconds waits the full ``max_wait_s`` for more requests.
        """
        if self._run_s is None:
            return self.max_wait_s
        return min(self.max_wait_s, self.wait_fraction * self._run_s)

    def _take_batch(self, first: _Job[T, R]) -> list[_Job[T, R]]:
        batch = [first]
        deadline = time.monotonic() + self.window_s()
        while len(batch) < self.max_batch:
            remaining = deadline - time.monotonic()
            try:  # requests already waiting join at once; then wait out the window
                job = self._queue.get(timeout=remaining) if remaining > 0 else \
                    self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                self._queue.put(None)
                break
            batch.append(job)
        return batch

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            # a request whose caller gave up (timed out) is dropped before it costs anything
            batch = [j for j in self._take_batch(first) if j.future.set_running_or_notify_cancel()]
            if not batch:
                continue
            self.batch_sizes.append(len(batch))
            metrics.BATCH_SIZE.labels(self.kind).observe(len(batch))
            started = time.perf_counter()
            try:
                self._run(batch)
            except Exception as exc:
                log.exception("%s batch of %d failed", self.kind, len(batch))
                for job in batch:
                    if not job.future.done():
                        job.future.set_exception(exc)
            took = time.perf_counter() - started
            self._run_s = took if self._run_s is None else 0.8 * self._run_s + 0.2 * took

    def _run(self, batch: list[_Job[T, R]]) -> None:
        raise NotImplementedError


class BatchCollector(_Collector[GenerateRequest, GenerateResult]):
    """Runs batched generation on a dedicated thread."""

    kind = "generate"

    def __init__(self, model: BatchGenerator, *, max_batch: int = 8, max_wait_s: float = 0.05,
                 wait_fraction: float = 0.1) -> None:
        self.model = model
        super().__init__(max_batch=max_batch, max_wait_s=max_wait_s, wait_fraction=wait_fraction)

    def submit(self, request: GenerateRequest,
               on_delta: DeltaSink | None = None) -> Future[GenerateResult]:
        """Queue one request; the future resolves with its result."""
        return self._put(request, on_delta)

    def _run(self, batch: list[_Job[GenerateRequest, GenerateResult]]) -> None:
        def on_text(i: int, delta: str) -> None:
            sink = batch[i].on_delta
            if sink is not None:
                try:
                    sink(delta)
                except Exception:  # a broken stream consumer must not kill the batch
                    log.exception("stream sink failed")

        started = time.perf_counter()
        results = self.model.generate([j.item for j in batch], on_text)
        metrics.observe_generation(sum(r.tokens for r in results), time.perf_counter() - started)
        for job, result in zip(batch, results, strict=True):
            job.future.set_result(result)


class ListBatcher(_Collector[list[T], list[R]]):
    """Batches list-in/list-out work: one call of ``fn`` on the items of every waiting request.

    Args:
        fn: maps a list of items to one result per item, in order.
        kind: a label for logs and the batch-size metric (``understand``, ``embed``).
        max_items: stop adding requests to a batch once it holds this many items.
    """

    def __init__(self, fn: Callable[[list[T]], list[R]], kind: str, *, max_batch: int = 16,
                 max_wait_s: float = 0.01, max_items: int = 64,
                 wait_fraction: float = 0.1) -> None:
        self.fn = fn
        self.kind = kind
        self.max_items = max_items
        super().__init__(max_batch=max_batch, max_wait_s=max_wait_s, wait_fraction=wait_fraction)

    def submit(self, items: Sequence[T]) -> Future[list[R]]:
        """Queue one request's items; the future resolves with their results."""
        return self._put(list(items))

    def _run(self, batch: list[_Job[list[T], list[R]]]) -> None:
        while batch:
            chunk: list[_Job[list[T], list[R]]] = []
            size = 0
            while batch and (not chunk or size + len(batch[0].item) <= self.max_items):
                job = batch.pop(0)
                chunk.append(job)
                size += len(job.item)
            flat: list[Any] = [x for job in chunk for x in job.item]
            try:
                out = self.fn(flat) if flat else []
                if len(out) != len(flat):
                    raise RuntimeError(f"{self.kind} returned {len(out)} results for "
                                       f"{len(flat)} items")
            except Exception as exc:
                for job in chunk:
                    job.future.set_exception(exc)
                continue
            pos = 0
            for job in chunk:
                job.future.set_result(out[pos:pos + len(job.item)])
                pos += len(job.item)
