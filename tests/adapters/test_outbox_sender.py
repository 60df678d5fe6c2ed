"""The shared outbox sender: parts already delivered are not sent again when a delivery is retried."""

from __future__ import annotations

import pytest

from adapters.outbox_sender import OutboxSender
from botcore.admin.outbox import DeliveryFailed, PendingDelivery
from botcore.errors import RateLimited


class Flaky(Exception):
    """A transient platform error."""


class Refused(Exception):
    """A permanent platform error."""


class RecordingSender(OutboxSender[str, str]):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []
        self.fail_at: dict[str, Exception] = {}

    def parts(self, d: PendingDelivery) -> list[str]:
        return d.text.split("|")

    async def destination(self, d: PendingDelivery) -> str:
        return d.platform_user_id

    async def send_part(self, dest: str, part: str) -> None:
        exc = self.fail_at.pop(part, None)
        if exc is not None:
            raise exc
        self.sent.append(f"{dest}:{part}")

    def failure(self, exc: Exception) -> DeliveryFailed | RateLimited | None:
        if isinstance(exc, Flaky):
            return DeliveryFailed("flaky", permanent=False)
        if isinstance(exc, Refused):
            return DeliveryFailed("refused", permanent=True)
        return None


def delivery(text: str, id_: int = 1) -> PendingDelivery:
    return PendingDelivery(id=id_, broadcast_id=1, kind="broadcast", platform="test",
                           platform_user_id="u1", chat_id=None, thread_id=None, text=text,
                           attempts=1)


async def test_a_retry_resumes_after_the_parts_already_sent() -> None:
    sender = RecordingSender()
    sender.fail_at["b"] = Flaky()
    with pytest.raises(DeliveryFailed) as err:
        await sender(delivery("a|b|c"))
    assert not err.value.permanent and sender.sent == ["u1:a"]
    await sender(delivery("a|b|c"))
    assert sender.sent == ["u1:a", "u1:b", "u1:c"]


async def test_a_permanent_failure_forgets_the_progress() -> None:
    sender = RecordingSender()
    sender.fail_at["b"] = Refused()
    with pytest.raises(DeliveryFailed) as err:
        await sender(delivery("a|b"))
    assert err.value.permanent
    await sender(delivery("a|b"))  # sent again from the start (e.g. an id reused by a new row)
    assert sender.sent == ["u1:a", "u1:a", "u1:b"]


async def test_an_unknown_error_propagates_unchanged() -> None:
    sender = RecordingSender()
    sender.fail_at["a"] = KeyError("bug")
    with pytest.raises(KeyError):
        await sender(delivery("a"))
