"""Run a generation engine on its own event-loop thread, with an admission queue in front.

Celery task threads and the bot's event loop both talk to the engine through
:meth:`EngineHost.submit` (thread-safe, returns a :class:`concurrent.futures.Future`), the same
shape as the old batch collector. The host admits requests up to the engine's ``capacity``
and queues the rest in arrival order; a queued request is told its position and a rough wait
(``on_status``), and again when it is admitted. Cancelling the future (a caller that gave up)
takes a queued request out of the queue, or cancels it inside the engine.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from botcore import metrics
from botcore.errors import InferenceError
from botcore.inference.payloads import GenerateRequest, GenerateResult, GenerationStatus
from workers.model.engines.base import EngineOptions, GenerationEngine, TextShaper, request_stops

log = logging.getLogger(__name__)

DeltaSink = Callable[[str], None]
StatusSink = Callable[[GenerationStatus], None]


@dataclass(slots=True)
class _Job:
    request: GenerateRequest
    future: Future[GenerateResult]
    on_delta: DeltaSink | None
    on_status: StatusSink | None
    options: EngineOptions
    queued_at: float = field(default_factory=time.monotonic)
    task: asyncio.Task[None] | None = None


def _call(sink: Callable[..., None] | None, value: object) -> None:
    if sink is None:
        return
    try:
        sink(value)
    except Exception:  # a broken stream consumer must not break the generation
        log.exception("generation callback failed")


class EngineHost:
    """Owns an engine, its event-loop thread and the admission queue.

    Args:
        engine: the engine to run.
        version: recorded as ``model_version`` on every result.
    """

    def __init__(self, engine: GenerationEngine, version: str | None = None) -> None:
        self.engine = engine
        self.version = version
        self._waiting: deque[_Job] = deque()
        self._running = 0
        self._avg_s: float | None = None  # moving average of a request's time in the engine
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="botcore-engine", daemon=True)
        self._thread.start()
        self._ready.wait()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._ready.set)
        self._loop.run_forever()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran (a closed host takes no requests)."""
        return self._loop.is_closed() or not self._thread.is_alive()

    @property
    def capacity(self) -> int:
        """How many requests the engine decodes at once."""
        return max(1, int(self.engine.capacity))

    @property
    def running(self) -> int:
        """Requests being decoded now."""
        return self._running

    @property
    def waiting(self) -> int:
        """Requests queued for a free slot."""
        return len(self._waiting)

    def start(self, timeout: float | None = None) -> None:
        """Load the engine's model now (blocking); otherwise it loads on the first request."""
        asyncio.run_coroutine_threadsafe(self.engine.start(), self._loop).result(timeout)

    def submit(self, request: GenerateRequest, on_delta: DeltaSink | None = None, *,
               on_status: StatusSink | None = None,
               options: EngineOptions | None = None) -> Future[GenerateResult]:
        """Queue one request; the future resolves with its result.

        Args:
            request: what to generate.
            on_delta: receives the reply text as it streams (whole sentences), from the host
                thread; the deltas add up to the final text.
            on_status: receives a ``queued`` status when the request has to wait for a slot
                and an ``admitted`` one when it starts.
            options: engine switches (benchmarks: ``ignore_eos``).
        """
        fut: Future[GenerateResult] = Future()
        job = _Job(request, fut, on_delta, on_status, options or EngineOptions())
        fut.add_done_callback(lambda f: self._on_done(job) if f.cancelled() else None)
        self._loop.call_soon_threadsafe(self._enqueue, job)
        return fut

    def _on_done(self, job: _Job) -> None:
        def cancel() -> None:
            if job.task is not None:
                job.task.cancel()
            else:
                try:
                    self._waiting.remove(job)
                except ValueError:
                    pass
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(cancel)

    def _eta(self, position: int) -> float | None:
        if self._avg_s is None:
            return None
        return math.ceil(position / self.capacity) * self._avg_s

    def _enqueue(self, job: _Job) -> None:
        if job.future.cancelled():
            return
        self._waiting.append(job)
        if self._running >= self.capacity:
            position = len(self._waiting)
            _call(job.on_status, GenerationStatus(
                request_id=job.request.request_id, state="queued", position=position,
                eta_s=self._eta(position)))
        self._pump()

    def _pump(self) -> None:
        while self._waiting and self._running < self.capacity:
            job = self._waiting.popleft()
            if job.future.cancelled():
                continue
            self._running += 1
            job.task = self._loop.create_task(self._run(job))

    async def _run(self, job: _Job) -> None:
        request = job.request
        started = time.perf_counter()
        queued_s = time.monotonic() - job.queued_at
        _call(job.on_status, GenerationStatus(request_id=request.request_id, state="admitted"))
        shaper = TextShaper(request_stops(request), job.on_delta)
        try:
            out = await self.engine.generate(request, shaper.feed, job.options)
            text = shaper.finish("stop" if shaper.stopped else out.finish_reason)
            took = time.perf_counter() - started
            result = GenerateResult(
                request_id=request.request_id, text=text, tokens=out.tokens,
                prompt_tokens=out.prompt_tokens,
                finish_reason="stop" if shaper.stopped else out.finish_reason,
                model_version=self.version, elapsed_ms=took * 1000,
                first_token_ms=None if out.first_token_s is None
                else (queued_s + out.first_token_s) * 1000)
            metrics.observe_generation(out.tokens, took)
            self._avg_s = took if self._avg_s is None else 0.8 * self._avg_s + 0.2 * took
            if not job.future.done():
                job.future.set_result(result)
        except asyncio.CancelledError:
            log.info("generation %s cancelled", request.request_id)
            job.future.cancel()  # the host closing: nobody waits forever
        except Exception as exc:
            log.exception("generation %s failed", request.request_id)
            if not job.future.done():
                job.future.set_exception(
                    exc if isinstance(exc, InferenceError)
                    else InferenceError(f"generation failed: {exc}"))
        finally:
            self._running -= 1
            self._pump()

    def close(self, timeout: float = 30.0) -> None:
        """Cancel what is left, release the engine and stop the thread."""
        if self._loop.is_closed():
            return

        async def shutdown() -> None:
            for job in list(self._waiting):
                job.future.cancel()
            self._waiting.clear()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.engine.aclose()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(timeout)
        except Exception:
            log.warning("engine did not close cleanly", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()
