"""The Celery application of the model workers.

Run with ``botctl run worker`` (or ``celery -A workers.celery_app worker -Q gpu,default
--pool threads --concurrency 8``). A threads pool lets concurrent tasks of one process meet in
the batch collector, with the model loaded once per process.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import Future
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_ready

from botcore import metrics
from botcore.config import load_settings
from botcore.inference.celery_config import celery_settings
from botcore.inference.payloads import DEFAULT_QUEUE, MODEL_QUEUE

log = logging.getLogger(__name__)

settings = load_settings()
app = Celery("botcore-worker", include=["workers.tasks", "workers.control"])
app.conf.update(celery_settings(settings))


_loading: Future[None] = Future()


def _load_model() -> None:
    from workers.runtime import runtime

    try:
        runtime().warm_up()
    except BaseException as exc:
        _loading.set_exception(exc)
    else:
        _loading.set_result(None)


@worker_init.connect
def _start(**_: Any) -> None:
    """Start loading the model while Celery connects (they overlap), and serve Prometheus
    metrics on ``BOTCORE_METRICS_PORT`` (batch sizes, tokens/s, queue depth…)."""
    threading.Thread(target=_load_model, name="botcore-model-load", daemon=True).start()
    metrics.watch_queues(settings.broker_url, (MODEL_QUEUE, DEFAULT_QUEUE))
    metrics.serve(settings.metrics_port, settings.metrics_addr)


@worker_ready.connect
def _warm_up(**_: Any) -> None:
    """Wait for the model before saying ready, so "ready" means ready to answer."""
    from workers.runtime import runtime

    try:
        _loading.result()
    except BaseException:
        # A worker without its model must not take tasks: exit, and let the supervisor
        # (docker compose restart policy, systemd) start it again.
        log.critical("the model failed to load; the worker exits", exc_info=True)
        os._exit(3)
    log.info("worker ready: model %s loaded", runtime().model_version)
