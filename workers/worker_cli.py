"""`botctl run worker`: start a Celery model worker (one process per GPU with --gpus)."""

from __future__ import annotations

import multiprocessing
import os

from botcore.inference.payloads import DEFAULT_QUEUE, MODEL_QUEUE


def _start(concurrency: int, device: str | None) -> None:
    if device is not None:
        os.environ["BOTCORE_DEVICE"] = device
    from workers.celery_app import app

    app.worker_main([
        "worker", "--loglevel=INFO", f"--queues={MODEL_QUEUE},{DEFAULT_QUEUE}",
        "--pool=threads", f"--concurrency={concurrency}", "--prefetch-multiplier=1",
        "--without-gossip", "--without-mingle",
    ])


def run_worker(concurrency: int = 8, gpus: str | None = None) -> None:
    """Entry point ``botcore.runners: worker``. With ``gpus="0,1"``, one process per GPU."""
    ids = [g.strip() for g in gpus.split(",") if g.strip()] if gpus else []
    if len(ids) <= 1:
        _start(concurrency, f"cuda:{ids[0]}" if ids else None)
        return
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_start, args=(concurrency, f"cuda:{g}")) for g in ids]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
