"""How the bot talks to the model: payload types, the executor protocol, the Celery client."""

from botcore.inference.base import ModelExecutor, TextDeltaCallback
from botcore.inference.payloads import (
    ChatTurn,
    GenerateRequest,
    GenerateResult,
    Understanding,
)

__all__ = [
    "ChatTurn",
    "GenerateRequest",
    "GenerateResult",
    "ModelExecutor",
    "TextDeltaCallback",
    "Understanding",
]
