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


def celery_settings(settings: Settings) -> dict[str, Any]:
    """The Celery configuration of botcore (reliability first: ARCHITECTURE §8)."""
    return {
        "broker_url": settings.broker_url,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": DEFAULT_QUEUE,
        "task_routes": {
            TASK_GENERATE: {"queue": MODEL_QUEUE},
            TASK_UNDERSTAND: {"queue": MODEL_QUEUE},
            TASK_EMBED: {"queue": MODEL_QUEUE},
        },
        "task_soft_time_limit": settings.reply_timeout_s,
        "task_time_limit": settings.reply_timeout_s + 30,
        "task_ignore_result": True,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {"confirm_publish": True},
        "worker_hijack_root_logger": False,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
    }
