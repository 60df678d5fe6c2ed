"""Task payloads and results shared by the bot (producer) and the workers (consumer).

They cross the broker as JSON, so they are pydantic models validated on both sides.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

from pydantic import BaseModel, ConfigDict, Field

TASK_UNDERSTAND = "botcore.understand"
TASK_GENERATE = "botcore.generate"
TASK_EMBED = "botcore.embed"
MODEL_QUEUE = "gpu"
DEFAULT_QUEUE = "default"


class ChatTurn(BaseModel):
    """One message of the prompt, in chat-template form."""

    model_config = ConfigDict(frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class GenerateRequest(BaseModel):
    """Ask the generator for one reply.

    The worker renders ``messages`` with the model's chat template and drops the oldest
    non-system turns until the prompt fits the model's context minus ``max_new_tokens``.
    """

    model_config = ConfigDict(frozen=True)

    request_id: str = Field(min_length=1, max_length=200)
    skill: str = "assistant"
    messages: list[ChatTurn]
    max_new_tokens: int = Field(default=96, ge=1, le=4096)
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    top_p: float = Field(default=0.9, gt=0.0, le=1.0)
    repetition_penalty: float = Field(default=1.15, ge=1.0, le=2.0)
    stop: list[str] = Field(default_factory=list)
    stream: bool = False
    seed: int | None = None


class GenerateResult(BaseModel):
    """The generator's reply."""

    request_id: str
    text: str
    tokens: int = 0
    prompt_tokens: int = 0
    finish_reason: Literal["stop", "length", "timeout", "error"] = "stop"
    model_version: str | None = None
    elapsed_ms: float = 0.0
    first_token_ms: float | None = None
    """From the worker receiving the request (queue wait included) to its first new token."""


class GenerationStatus(BaseModel):
    """Where a generation request stands in its worker's admission queue.

    A worker decodes up to its engine's capacity at once and queues the rest in arrival order.
    It reports ``queued`` (with the 1-based ``position`` among the waiting requests and a rough
    ``eta_s`` until its first token) when a request has to wait, and ``admitted`` when it
    starts decoding. Over Celery these travel as ``{"type": "status", "data": {...}}`` on the
    bot's reply channel.
    """

    request_id: str
    state: Literal["queued", "admitted"]
    position: int = Field(default=0, ge=0)
    eta_s: float | None = None


class Understanding(BaseModel):
    """What one forward pass of the shared trunk says about a message (all heads at once).

    Attributes:
        skill: the best skill by the routing head.
        scores: probability per skill (``companion``, ``tutor``, ``faq``, ``assistant``).
        safety: probability per safety label (e.g. ``abuse``, ``self_harm``, ``sexual``,
            ``prompt_injection``).
        emotion: the most likely emotion label; ``emotions`` holds all probabilities.
        embedding: the retrieval embedding (unit length), when asked for.
    """

    skill: str
    scores: dict[str, float]
    safety: dict[str, float] = Field(default_factory=dict)
    emotion: str = "neutral"
    emotions: dict[str, float] = Field(default_factory=dict)
    embedding: list[float] | None = None
    model_version: str | None = None


class TextsPayload(BaseModel):
    """The payload of ``botcore.understand`` and ``botcore.embed``."""

    texts: list[str] = Field(max_length=256)
    with_embedding: bool = False


class UnderstandResults(BaseModel):
    """The result of ``botcore.understand``: one :class:`Understanding` per text, in order."""

    results: list[Understanding]


class EmbedResults(BaseModel):
    """The result of ``botcore.embed``: one retrieval embedding per text, in order."""

    vectors: list[list[float]]


class ReplyMessage(TypedDict):
    """One message on the bot's reply channel (``botcore:out:<uuid>``), as JSON.

    ``type`` is ``status`` (``data``: a :class:`GenerationStatus`), ``delta`` (``data``: text,
    ``attempt``: which generation it belongs to), ``result`` (``data``: the task's result model)
    or ``error`` (``data``: the reason, ``code``: ``timeout`` or ``dead``).
    """

    id: str
    type: str
    data: object
    code: NotRequired[str]
    attempt: NotRequired[str]
