"""The seam between the dialogue manager and whatever runs the model."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, runtime_checkable

from botcore.inference.payloads import (
    GenerateRequest,
    GenerateResult,
    GenerationStatus,
    Understanding,
)

TextDeltaCallback = Callable[[str], Awaitable[None]]
"""Receives each new piece of generated text, in order, while a reply streams."""

StatusCallback = Callable[[GenerationStatus], Awaitable[None]]
"""Receives admission news of a generation (queued with a position, then admitted).

The local and Celery executors accept it as ``generate(request, on_delta, on_status=...)``;
it is optional and not part of :class:`ModelExecutor` (other executors need not report)."""


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
