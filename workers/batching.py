"""Collect concurrent generation requests into one batch (flush at ``max_batch`` or ``max_wait_s``).

One collector thread per model; callers (Celery task threads, the in-process executor) submit a
request and get a :class:`concurrent.futures.Future`. Deltas for streaming are delivered through
the per-request callback from the collector thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol

from botcore.inference.payloads import GenerateRequest, GenerateResult

log = logging.getLogger(__name__)

DeltaSink = Callable[[str], None]


class BatchGenerator(Protocol):
    """What the collector drives (``ModelService`` implements it)."""

    def generate(self, requests: Sequence[GenerateRequest],
                 on_text: Callable[[int, str], None] | None = None) -> list[GenerateResult]: ...


@dataclass(slots=True)
class _Job:
    request: GenerateRequest
    future: Future[GenerateResult]
    on_delta: DeltaSink | None = None
    queued_at: float = field(default_factory=time.monotonic)


class BatchCollector:
    """Runs batched generation on a dedicated thread."""

    def __init__(self, model: BatchGenerator, *, max_batch: int = 8,
                 max_wait_s: float = 0.05) -> None:
        self.model = model
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="botcore-batcher", daemon=True)
        self._thread.start()
        self.batch_sizes: list[int] = []

    def submit(self, request: GenerateRequest,
               on_delta: DeltaSink | None = None) -> Future[GenerateResult]:
        """Queue one request; the future resolves with its result."""
        fut: Future[GenerateResult] = Future()
        self._queue.put(_Job(request, fut, on_delta))
        return fut

    def close(self) -> None:
        """Stop the thread after the current batch."""
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _take_batch(self, first: _Job) -> list[_Job]:
        batch = [first]
        deadline = time.monotonic() + self.max_wait_s
        while len(batch) < self.max_batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                job = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if job is None:
                self._queue.put(None)
                break
            batch.append(job)
        return batch

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [j for j in self._take_batch(first) if j.future.set_running_or_notify_cancel()]
            if not batch:
                continue
            self.batch_sizes.append(len(batch))

            def on_text(i: int, delta: str, jobs: list[_Job] = batch) -> None:
                sink = jobs[i].on_delta
                if sink is not None:
                    try:
                        sink(delta)
                    except Exception:  # a broken stream consumer must not kill the batch
                        log.exception("stream sink failed")

            try:
                results = self.model.generate([j.request for j in batch], on_text)
            except Exception as exc:
                log.exception("batch of %d failed", len(batch))
                for job in batch:
                    job.future.set_exception(exc)
                continue
            for job, result in zip(batch, results, strict=True):
                job.future.set_result(result)
