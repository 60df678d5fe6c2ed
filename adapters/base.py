"""The adapter contract: transport in, normalized messages through the dialogue manager, replies out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable


@runtime_checkable
class Adapter(Protocol):
    """A running connection to one platform.

    ``run`` connects and serves until ``stop`` is called (or it is cancelled); ``stop`` lets
    in-flight turns finish before closing the transport.
    """

    name: str

    async def run(self) -> None:
        """Serve until stopped."""
        ...

    async def stop(self) -> None:
        """Finish in-flight turns and close."""
        ...


AdapterFactory = Callable[..., Adapter]
"""The object an entry point of group ``botcore.adapters`` points to:
``create_adapter(runtime: Runtime, **options) -> Adapter`` (options are adapter-specific)."""
