"""An instant, deterministic stand-in for the model: no weights, no torch.

For load tests of the pipeline overhead (``bench/``), adapter end-to-end tests and smoke runs:
``BOTCORE_EXECUTOR=instant``. Routing uses keywords, embeddings are hashed bags of words
(identical questions match, paraphrases mostly do not), and replies echo the user's message.
It is a plugin like any other executor (entry point group ``botcore.executors``).

To stand in for a *slow* model (burst and shutdown tests, ``bench/``), two environment variables
shape its generation: ``BOTCORE_INSTANT_TOKEN_DELAY_S`` (seconds per streamed word, default 0)
and ``BOTCORE_INSTANT_CAPACITY`` (replies generated at once; the rest wait in arrival order,
like a worker's slots; default 0: unlimited). Deterministic apart from the clock.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import re
from collections.abc import Sequence

from botcore.config import SKILLS, Settings
from botcore.errors import ConfigError
from botcore.inference.base import TextDeltaCallback
from botcore.inference.payloads import GenerateRequest, GenerateResult, Understanding

DIM = 256
_KEYWORDS = {
    "tutor": ("explain", "solve", "math", "equation", "homework", "quiz", "learn", "calculate"),
    "faq": ("refund", "shipping", "order", "return", "price", "opening", "delivery", "account"),
    "assistant": ("write", "poem", "story", "code", "function", "translate", "summarize"),
    "companion": ("feel", "i'm", "my day", "hello", "hi", "lonely", "happy", "sad"),
}
_WORD = re.compile(r"[a-z0-9']+")


def hashed_embedding(text: str) -> list[float]:
    """A unit vector from hashed words (deterministic, dependency-free)."""
    vec = [0.0] * DIM
    for word in _WORD.findall(text.lower()):
        h = int(hashlib.md5(word.encode()).hexdigest()[:8], 16)
        vec[h % DIM] += 1.0 if h & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


def keyword_scores(text: str) -> dict[str, float]:
    """Skill probabilities from keyword hits (softmax over counts)."""
    low = text.lower()
    raw = {s: float(sum(k in low for k in _KEYWORDS[s])) for s in SKILLS}
    raw["companion"] += 0.5
    exp = {k: math.exp(v) for k, v in raw.items()}
    total = sum(exp.values())
    return {k: v / total for k, v in exp.items()}


class InstantExecutor:
    """Implements :class:`botcore.inference.base.ModelExecutor` with no model at all.

    Args:
        token_delay_s: seconds before each streamed word (0: instant).
        capacity: replies generated at once; more wait in arrival order (0: no limit).
    """

    version = "instant"

    def __init__(self, token_delay_s: float = 0.0, capacity: int = 0) -> None:
        self.token_delay_s = max(0.0, token_delay_s)
        self.capacity = max(0, capacity)
        self._slots = asyncio.Semaphore(capacity) if capacity > 0 else None
        self.waiting = 0
        """Replies queued for a slot right now."""

    async def understand(self, texts: Sequence[str], *,
                         with_embedding: bool = False) -> list[Understanding]:
        out = []
        for text in texts:
            scores = keyword_scores(text)
            out.append(Understanding(
                skill=max(scores, key=lambda k: scores[k]), scores=scores,
                safety={"abuse": 0.0, "self_harm": 0.0, "sexual": 0.0, "prompt_injection": 0.0},
                emotion="neutral", emotions={"neutral": 1.0},
                embedding=hashed_embedding(text) if with_embedding else None,
                model_version=self.version))
        return out

    async def generate(self, request: GenerateRequest,
                       on_delta: TextDeltaCallback | None = None) -> GenerateResult:
        last = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        words = f"You said: {last}".split(" ")  # the whole echo: no token cap, on purpose
        text = " ".join(words)
        if self._slots is None:
            await self._stream(words, on_delta)
        else:
            self.waiting += 1
            try:
                await self._slots.acquire()
            finally:
                self.waiting -= 1
            try:
                await self._stream(words, on_delta)
            finally:
                self._slots.release()
        return GenerateResult(request_id=request.request_id, text=text, tokens=len(words),
                              finish_reason="stop", model_version=self.version)

    async def _stream(self, words: list[str], on_delta: TextDeltaCallback | None) -> None:
        for i, word in enumerate(words):
            if self.token_delay_s:
                await asyncio.sleep(self.token_delay_s)
            if on_delta is not None:
                await on_delta(word if i == 0 else " " + word)

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [hashed_embedding(t) for t in texts]

    async def aclose(self) -> None:
        return None


def create_instant_executor(settings: Settings) -> InstantExecutor:
    """Entry point ``botcore.executors: instant`` (shaped by ``BOTCORE_INSTANT_TOKEN_DELAY_S``
    and ``BOTCORE_INSTANT_CAPACITY``, see the module docstring)."""
    del settings
    try:
        delay = float(os.environ.get("BOTCORE_INSTANT_TOKEN_DELAY_S") or 0)
        capacity = int(os.environ.get("BOTCORE_INSTANT_CAPACITY") or 0)
    except ValueError as exc:
        raise ConfigError(f"BOTCORE_INSTANT_*: {exc}") from exc
    if not (math.isfinite(delay) and 0 <= delay <= 60 and 0 <= capacity <= 10_000):
        raise ConfigError("BOTCORE_INSTANT_TOKEN_DELAY_S must be 0–60 and "
                          "BOTCORE_INSTANT_CAPACITY 0–10000")
    return InstantExecutor(delay, capacity)
