"""`botctl run worker`: start a Celery model worker (one process per GPU with --gpus)."""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.connection import wait
from types import FrameType

from botcore.inference.payloads import DEFAULT_QUEUE, MODEL_QUEUE


def _start(concurrency: int, device: str | None, index: int | None = None) -> None:
    if device is not None:
        os.environ["BOTCORE_DEVICE"] = device
    node = "celery@%h"
    if index is not None:  # one process per GPU: distinct node names and metrics ports
        node = f"gpu{index}@%h"
        port = os.environ.get("BOTCORE_METRICS_PORT")
        if port:
            os.environ["BOTCORE_METRICS_PORT"] = str(int(port) + index)
    from workers.celery_app import app

    app.worker_main([
        "worker", "--loglevel=INFO", f"--queues={MODEL_QUEUE},{DEFAULT_QUEUE}",
        "--pool=threads", f"--concurrency={concurrency}", "--prefetch-multiplier=1",
        "--without-gossip", "--without-mingle", "-n", node,
    ])


def run_worker(concurrency: int = 8, gpus: str | None = None) -> None:
    """Entry point ``botcore.runners: worker``. With ``gpus="0,1"``, one process per GPU."""
    ids = [g.strip() for g in gpus.split(",") if g.strip()] if gpus else []
    if len(ids) <= 1:
        _start(concurrency, f"cuda:{ids[0]}" if ids else None)
        return
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_start, args=(concurrency, f"cuda:{g}", i))
             for i, g in enumerate(ids)]
    for p in procs:
        p.start()

    signalled: set[int] = set()

    def stop(signum: int, _frame: FrameType | None) -> None:
        for p in procs:  # a warm shutdown of each worker (once: a second TERM kills it)
            if p.is_alive() and p.pid is not None and p.pid not in signalled:
                signalled.add(p.pid)
                os.kill(p.pid, signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # One worker process gone (crashed, OOM-killed): stop the others too and exit with its
    # status, so the supervisor restarts the whole set rather than running on fewer GPUs.
    wait([p.sentinel for p in procs])
    stop(signal.SIGTERM, None)
    for p in procs:
        p.join()
    raise SystemExit(next((p.exitcode for p in procs if p.exitcode), 0))
