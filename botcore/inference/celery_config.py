"""Celery settings shared by the producer (bot) and the consumers (workers).

The bot only sends tasks by name (``send_task``); it never imports worker code.
"""

from __future__ import annotations

from typing import Any

from botcore.config import Settings
from botcore.inference.payloads import (
    DEFAULT_QUEUE,
    MODEL_QUEUE,
    TASK_EMBED,
    TASK_GENERATE,
    TASK_UNDERSTAND,
)

REPLY_PREFIX = "botcore:out:"
RESULT_PREFIX = "botcore:result:"
RESULT_TTL_S = 600
DELIVERY_PREFIX = "botcore:deliveries:"
"""Counts the deliveries of one task key (a message that kills its worker comes back)."""
DEAD_LETTERS = "botcore:dead"
"""Redis list of poison messages (newest first): JSON with task, key, reason and payload."""
DEAD_LETTERS_MAX = 1000
MAX_DELIVERIES = 3
"""A task delivered more often than this (its worker died each time) is dead-lettered."""
DEADLINE_MARGIN_S = 1.0
"""Workers give up this long before the bot does, so the bot hears "timeout" from them."""


def celery_settings(settings: Settings) -> dict[str, Any]:
    """The Celery configuration of botcore (reliability first: ARCHITECTURE §8)."""
    return {
        "broker_url": settings.broker_url,
        "task_serializer": "json",
        "accept_content": ["json"],
        # Model tasks live as long as a bot waits for them (reply_timeout_s), so they are kept
        # in the broker's memory, not fsynced: a publish confirm then takes ~1 ms instead of ~4.
        # A worker that dies still gets its unacked tasks redelivered; only a broker restart
        # loses queued ones, and their bots answer with the timeout fallback.
        "task_default_delivery_mode": "transient",
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": DEFAULT_QUEUE,
        "task_routes": {
            TASK_GENERATE: {"queue": MODEL_QUEUE},
            TASK_UNDERSTAND: {"queue": MODEL_QUEUE},
            TASK_EMBED: {"queue": MODEL_QUEUE},
        },
        # Enforced by the prefork pool only; the threads pool of `botctl run worker` enforces the
        # per-message deadline the bot sends (see workers.tasks).
        "task_soft_time_limit": settings.reply_timeout_s,
        "task_time_limit": settings.reply_timeout_s + 30,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "task_ignore_result": True,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"confirm_publish": True},
        "worker_hijack_root_logger": False,
        # Task events cost 4 extra broker publishes per task (~30 % of a worker's CPU per turn
        # with the instant model). Monitoring that wants them (Flower) can switch them on at
        # run time: `celery -A workers.celery_app control enable_events`.
        "worker_send_task_events": False,
        "task_send_sent_event": False,
    }
