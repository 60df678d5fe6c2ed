"""The send function of the outbox for any platform: a delivery sent in parts, resumed after the
parts already delivered when it is retried.

A platform says where a delivery goes, how its text splits into messages, how one message is
sent, and how its errors map onto the outbox contract (docs/botctl.md, "Outbox consumer
contract"); this class keeps the bookkeeping that is the same everywhere.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Generic, TypeVar

from botcore.admin.outbox import DeliveryFailed, PendingDelivery
from botcore.errors import RateLimited

log = logging.getLogger(__name__)

D = TypeVar("D")
"""Where a delivery goes on the platform (a chat target, a channel)."""
M = TypeVar("M")
"""One message of a delivery (a rendered part, a text chunk)."""

MAX_REMEMBERED = 10_000
"""Deliveries whose progress is remembered at most (the memory is dropped beyond)."""


class OutboxSender(ABC, Generic[D, M]):
    """The ``send`` function of :func:`~botcore.admin.outbox.consume_outbox` for one platform.

    A text longer than one message is sent in parts; when a later part fails and the delivery
    is retried, the parts already delivered are not sent again (while this process runs). A
    permanent failure forgets the progress (the delivery will not come back).
    """

    def __init__(self) -> None:
        self._done_parts: dict[int, int] = {}

    @abstractmethod
    def parts(self, d: PendingDelivery) -> Sequence[M]:
        """The messages ``d`` is sent as (may raise :class:`RateLimited` or
        :class:`DeliveryFailed` before anything is sent)."""

    @abstractmethod
    async def destination(self, d: PendingDelivery) -> D:
        """Where ``d`` goes (its errors go through :meth:`failure` like a send's)."""

    @abstractmethod
    async def send_part(self, dest: D, part: M) -> None:
        """Send one message."""

    @abstractmethod
    def failure(self, exc: Exception) -> DeliveryFailed | RateLimited | None:
        """What the outbox is told about ``exc`` (None: not the platform's; it propagates)."""

    async def __call__(self, d: PendingDelivery) -> None:
        """Deliver ``d`` or raise what the outbox contract asks for."""
        parts = self.parts(d)
        start = self._done_parts.get(d.id, 0)
        try:
            dest = await self.destination(d)
            for index in range(start, len(parts)):
                await self.send_part(dest, parts[index])
                self._done_parts[d.id] = index + 1
        except Exception as exc:
            told = None if isinstance(exc, DeliveryFailed | RateLimited) else self.failure(exc)
            if told is None:
                raise
            if isinstance(told, DeliveryFailed):
                if told.permanent:
                    self._done_parts.pop(d.id, None)
                elif len(self._done_parts) > MAX_REMEMBERED:
                    self._done_parts.clear()
            raise told from exc
        self._done_parts.pop(d.id, None)
