"""The Celery application of the model workers.

Run with ``botctl run worker`` (or ``celery -A workers.celery_app worker -Q gpu,default
--pool threads --concurrency 8``). A threads pool lets concurrent tasks of one process meet in
the batch collector, with the model loaded once per process.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import worker_ready

from botcore.config import load_settings
from botcore.inference.celery_config import celery_settings

log = logging.getLogger(__name__)

settings = load_settings()
app = Celery("botcore-worker", include=["workers.tasks"])
app.conf.update(celery_settings(settings))


@worker_ready.connect
def _warm_up(**_: Any) -> None:
    """Load the model before the first task, so "ready" means ready to answer."""
    from workers.tasks import runtime

    runtime().warm_up()
    log.info("worker ready: model %s loaded", runtime().model_version)
