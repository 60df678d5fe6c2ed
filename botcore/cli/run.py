"""`botctl run`: serve adapters and/or a model worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Iterator
from typing import Annotated

import typer

from botcore import metrics, plugins
from botcore.cli import common
from botcore.logs import setup_logging
from botcore.runtime import open_runtime

log = logging.getLogger(__name__)
RUNNERS = "botcore.runners"
STOP_SLACK_S = 3.0
"""Beyond the shutdown grace period: time to cancel cut-off turns, commit, close connections."""


def run(
    targets: Annotated[list[str], typer.Argument(
        help="telegram, discord, worker, all (adapters with a token + a worker), or any "
             "installed adapter plugin.")],
    concurrency: Annotated[int, typer.Option(help="Worker threads (batched together).")] = 8,
    gpus: Annotated[str | None, typer.Option(help="Worker: comma list of GPU ids, one "
                                             "process per GPU (e.g. 0,1).")] = None,
) -> None:
    """Run adapters and/or a model worker until interrupted.

    Examples:

        botctl run telegram

        botctl run worker --concurrency 8

        botctl run all
    """
    settings = common.settings()
    setup_logging(settings)
    adapters_known = plugins.available(plugins.ADAPTERS)
    names = list(dict.fromkeys(targets))
    if "all" in names:
        names = [n for n in ("telegram", "discord") if getattr(settings, f"{n}_token")]
        if settings.broker_url:
            names.append("worker")
    unknown = [n for n in names if n != "worker" and n not in adapters_known]
    if unknown or not names:
        common.fail(f"unknown target(s) {unknown or targets}; choose from: worker, all, "
                    + ", ".join(sorted(adapters_known)), code=2)
    adapters = [n for n in names if n != "worker"]
    if "worker" in names:
        runner = plugins.load(RUNNERS, "worker")
        if adapters:
            import multiprocessing

            proc = multiprocessing.get_context("spawn").Process(
                target=runner, kwargs={"concurrency": concurrency, "gpus": gpus}, daemon=False)
            port = settings.metrics_port  # the worker child serves its metrics on port + 1
            with _env("BOTCORE_METRICS_PORT", str(port + 1) if port else None):
                proc.start()
            try:
                _serve(settings, adapters)
            finally:
                proc.terminate()
                proc.join(30)
            return
        runner(concurrency=concurrency, gpus=gpus)
        return
    _serve(settings, adapters)


def _serve(settings: object, names: list[str]) -> None:
    async def main() -> None:
        metrics.serve(getattr(settings, "metrics_port", None),
                      getattr(settings, "metrics_addr", "127.0.0.1"))
        async with open_runtime(settings, background=True) as rt:  # type: ignore[arg-type]
            running = [plugins.load(plugins.ADAPTERS, n)(rt) for n in names]
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, stop.set)
            tasks = [asyncio.create_task(a.run(), name=f"adapter-{a.name}") for a in running]
            waiter = asyncio.create_task(stop.wait())
            await asyncio.wait([*tasks, waiter], return_when=asyncio.FIRST_COMPLETED)
            log.info("shutting down: %s", ", ".join(a.name for a in running))
            # Adapters stop taking updates at once, give turns in flight the grace period,
            # cancel the rest; all of them at the same time, within a hard bound.
            bound = settings.shutdown_grace_s + STOP_SLACK_S  # type: ignore[attr-defined]
            stopping = asyncio.gather(*(a.stop() for a in running), return_exceptions=True)
            await asyncio.wait([stopping, *tasks], timeout=bound,
                               return_when=asyncio.ALL_COMPLETED)
            if not stopping.done():
                stopping.cancel()
            for t in tasks:
                if not t.done():
                    t.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            waiter.cancel()
            for a, r in zip(running, results, strict=True):
                if isinstance(r, BaseException) and not isinstance(r, asyncio.CancelledError):
                    log.error("adapter %s failed: %s", a.name, r)
                    raise r

    common.run(main())


@contextlib.contextmanager
def _env(name: str, value: str | None) -> Iterator[None]:
    """Set an environment variable for a child process started inside the block."""
    old = os.environ.get(name)
    if value is not None:
        os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old
