"""The Celery application of the model workers.

Run with ``botctl run worker`` (or ``celery -A workers.celery_app worker -Q gpu,default
--pool threads --concurrency 8``). A threads pool lets concurrent tasks of one process meet in
the batch collector, with the model loaded once per process.
"""

from __future__ import annotations

import logging
import os
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


@worker_init.connect
def _serve_metrics(**_: Any) -> None:
    """Prometheus metrics on ``BOTCORE_METRICS_PORT`` (batch sizes, tokens/s, queue depth…)."""
    metrics.watch_queues(settings.broker_url, (MODEL_QUEUE, DEFAULT_QUEUE))
    metrics.serve(settings.metrics_port)


@worker_ready.connect
def _warm_up(**_: Any) -> None:
    """Load the model before the first task, so "ready" means ready to answer."""
    from workers.tasks import runtime

    try:
        runtime().warm_up()
    except Exception:
        # A worker without its model must not take tasks: exit, and let the supervisor
        # (docker compose restart policy, systemd) start it again.
        log.critical("the model failed to load; the worker exits", exc_info=True)
        os._exit(3)
    log.info("worker ready: model %s loaded", runtime().model_version)
