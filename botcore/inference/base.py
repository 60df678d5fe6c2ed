"""The seam between the dialogue manager and whatever runs the model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, runtime_checkable

from botcore.inference.payloads import GenerateRequest, GenerateResult, Understanding

TextDeltaCallback = Callable[[str], Awaitable[None]]
"""Receives each new piece of generated text, in order, while a reply streams."""


@runtime_checkable
class ModelExecutor(Protocol):
    """Runs the shared model: in-process (embedded), or on Celery workers.

    Implementations wrap their own failures in :class:`botcore.errors.InferenceError`.
    """

    async def understand(
        self, texts: Sequence[str], *, with_embedding: bool = False
    ) -> list[Understanding]:
        """Run every head on each text in one forward pass of the trunk."""
        ...

    async def generate(
        self, request: GenerateRequest, on_delta: TextDeltaCallback | None = None
    ) -> GenerateResult:
        """Generate one reply; ``on_delta`` gets text pieces as they are produced."""
        ...

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-length retrieval embeddings."""
        ...

    async def aclose(self) -> None:
        """Release resources."""
        ...
