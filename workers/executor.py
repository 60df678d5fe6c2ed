"""The in-process model executor (the embedded default): the shared model in this process.

The model is loaded lazily on first use, in a worker thread, so the event loop never blocks;
generation goes through the same generation engine and admission queue as on a Celery worker
(:meth:`workers.model.service.ModelService.engine_host`; a service without an engine, such as
the instant model, through a :class:`~workers.batching.BatchCollector`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from typing import Any

from botcore.config import Settings
from botcore.errors import InferenceError
from botcore.inference.base import StatusCallback, TextDeltaCallback
from botcore.inference.payloads import (
    GenerateRequest,
    GenerateResult,
    GenerationStatus,
    Understanding,
)
from workers.batching import BatchCollector

log = logging.getLogger(__name__)


class LocalExecutor:
    """Implements :class:`botcore.inference.base.ModelExecutor` with the model in-process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._service: Any = None
        self._collector: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_service(cls, settings: Settings, service: Any) -> LocalExecutor:
        """An executor around an already loaded model (tests, notebooks)."""
        executor = cls(settings)
        executor._service = service
        executor._collector = generation_queue(service)
        return executor

    def _load(self) -> Any:
        with self._lock:
            if self._service is None:
                from workers.model.service import get_service

                service = get_service(self.settings)
                self._collector = generation_queue(service)
                self._service = service
            return self._service

    async def service(self) -> Any:
        """The loaded model (loads it on first call, off the event loop)."""
        if self._service is not None:
            return self._service
        try:
            return await asyncio.to_thread(self._load)
        except Exception as exc:
            raise InferenceError(f"model failed to load: {exc}") from exc

    async def understand(self, texts: Sequence[str], *,
                         with_embedding: bool = False) -> list[Understanding]:
        svc = await self.service()

        def run() -> list[Understanding]:
            reload = getattr(svc, "reload_if_changed", None)
            if reload is not None:  # `botctl model activate` applies without a restart
                try:
                    reload()
                except Exception:
                    log.warning("could not load the activated model version", exc_info=True)
            out: list[Understanding] = svc.understand(list(texts), with_embedding)
            return out

        try:
            result = await asyncio.to_thread(run)
        except Exception as exc:
            raise InferenceError(f"understand failed: {exc}") from exc
        return result

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        svc = await self.service()
        try:
            result: list[list[float]] = await asyncio.to_thread(svc.embed, list(texts))
        except Exception as exc:
            raise InferenceError(f"embed failed: {exc}") from exc
        return result

    async def generate(self, request: GenerateRequest,
                       on_delta: TextDeltaCallback | None = None, *,
                       on_status: StatusCallback | None = None) -> GenerateResult:
        """Generate one reply in this process.

        Args:
            request: what to generate.
            on_delta: receives the reply as it streams.
            on_status: receives admission news: ``queued`` (position, rough wait) when every
                slot of the engine is busy, then ``admitted``.
        """
        await self.service()
        assert self._collector is not None
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | GenerationStatus] = asyncio.Queue()

        def sink(item: str | GenerationStatus) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        if isinstance(self._collector, BatchCollector):
            cfut = self._collector.submit(request, sink if on_delta else None)
        else:
            cfut = self._collector.submit(request, sink if on_delta else None,
                                          on_status=sink if on_status else None)
        fut = asyncio.wrap_future(cfut)

        async def deliver(item: str | GenerationStatus) -> None:
            if isinstance(item, GenerationStatus):
                if on_status is not None:
                    await on_status(item)
            elif on_delta is not None:
                await on_delta(item)

        try:
            while True:
                getter = asyncio.ensure_future(queue.get())
                waiting: set[asyncio.Future[Any]] = {fut, getter}
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                if getter in done:
                    await deliver(getter.result())
                    continue
                getter.cancel()
                while not queue.empty():
                    await deliver(queue.get_nowait())
                try:
                    return fut.result()
                except Exception as exc:
                    raise InferenceError(f"generation failed: {exc}") from exc
        finally:
            if not cfut.done():
                cfut.cancel()  # the caller gave up (cancelled): free the slot or queue place

    async def aclose(self) -> None:
        if self._collector is not None:
            await asyncio.to_thread(self._collector.close)


def generation_queue(service: Any) -> Any:
    """What generation requests are submitted to: the service's engine host, or a batch
    collector for a service without one (the instant model, test doubles)."""
    make = getattr(service, "engine_host", None)
    return make() if callable(make) else BatchCollector(service)


def create_local_executor(settings: Settings) -> LocalExecutor:
    """Entry point ``botcore.executors: local``."""
    return LocalExecutor(settings)
