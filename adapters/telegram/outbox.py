"""Admin messages from the SQL outbox (``botctl broadcast``, ``botctl escalations reply``), sent
through the adapter's own send path.

Each delivery is rendered like a reply (Markdown subset → HTML, split at 4096 UTF-16 units) and
posted with :meth:`Sender.post_part`, so the bot's :class:`~adapters.telegram.ratelimit.ChatRateLimiter`
paces it together with the conversations: one message a second per chat, 20 a minute per group,
30 a second overall, ``RetryAfter`` waited out. Outcomes map onto the outbox contract
(docs/botctl.md, "Outbox consumer contract"):

- ``Forbidden`` (the user blocked the bot, the bot left the group): permanent failure; a user who
  blocked the bot is marked inactive, as after a failed reply;
- a flood wait the limiter gave up on, or a chat that cannot take a message for more than
  :data:`MAX_INLINE_WAIT_S` (a group that used its 20 messages a minute):
  :class:`~botcore.errors.RateLimited`, so the delivery is queued again for when the chat is free
  and the rest of the outbox moves on;
- other refusals (``BadRequest``: chat not found, bad topic…): permanent failure;
- network errors: retried by the outbox with backoff.
"""

from __future__ import annotations

import logging

from telegram.error import BadRequest, RetryAfter, TelegramError

from adapters.outbox_loop import OutboxLoop
from adapters.outbox_sender import OutboxSender
from adapters.telegram.markup import RenderedPart, render
from adapters.telegram.normalize import PLATFORM
from adapters.telegram.ratelimit import ChatRateLimiter, retry_seconds
from adapters.telegram.sender import RecipientGone, Sender, Target
from botcore.admin.outbox import DeliveryFailed, PendingDelivery
from botcore.errors import RateLimited
from botcore.memory.stores import SqlAccess

log = logging.getLogger(__name__)

"""Longest wait, when stopping, for a delivery whose send is in flight."""
MAX_INLINE_WAIT_S = 2.0
"""A delivery whose chat is busy for longer (a group's per-minute budget is spent, a flood wait)
is put back in the queue until then, so it does not hold up the deliveries behind it."""


def delivery_target(d: PendingDelivery) -> Target:
    """Where a delivery goes: the user's private chat, or ``chat_id`` (and its topic).

    Raises:
        DeliveryFailed: the ids are not Telegram ids (permanent).
    """
    chat = d.chat_id if d.chat_id is not None else d.platform_user_id
    try:
        chat_id = int(chat)
        thread_id = int(d.thread_id) if d.thread_id else None
    except ValueError as exc:
        raise DeliveryFailed(f"not a Telegram chat: {chat!r}/{d.thread_id!r}") from exc
    # private chats have the user's (positive) id; groups and channels are negative
    return Target(chat_id=chat_id, thread_id=thread_id, user_id=d.platform_user_id,
                  private=chat_id > 0)


class TelegramOutboxSender(OutboxSender[Target, RenderedPart]):
    """The ``send`` function of :func:`~botcore.admin.outbox.consume_outbox` for Telegram
    (parts already delivered are not sent again on a retry: see
    :class:`~adapters.outbox_sender.OutboxSender`)."""

    def __init__(self, sender: Sender) -> None:
        super().__init__()
        self.sender = sender

    def parts(self, d: PendingDelivery) -> list[RenderedPart]:
        """``d`` rendered like a reply; :class:`RateLimited` first when its chat is busy."""
        target = delivery_target(d)
        limiter = getattr(self.sender.bot, "rate_limiter", None)
        if isinstance(limiter, ChatRateLimiter):
            wait = limiter.delay(target.chat_id)
            if wait > MAX_INLINE_WAIT_S:
                raise RateLimited(wait)
        return render(d.text)

    async def destination(self, d: PendingDelivery) -> Target:
        """The chat (and topic) ``d`` goes to."""
        return delivery_target(d)

    async def send_part(self, dest: Target, part: RenderedPart) -> None:
        """Post one part through the bot's rate limiter."""
        await self.sender.post_part(dest, part)

    def failure(self, exc: Exception) -> DeliveryFailed | RateLimited | None:
        """Telegram's errors on the outbox contract."""
        if isinstance(exc, RecipientGone):
            return DeliveryFailed(str(exc), permanent=True)
        if isinstance(exc, RetryAfter):
            return RateLimited(retry_seconds(exc))
        if isinstance(exc, BadRequest):
            return DeliveryFailed(f"Telegram refused: {exc.message}", permanent=True)
        if isinstance(exc, TelegramError):  # network trouble, server errors: try again later
            return DeliveryFailed(f"{type(exc).__name__}: {exc.message}", permanent=False)
        return None


def telegram_outbox(store: SqlAccess, sender: Sender, *, poll_s: float = 2.0) -> OutboxLoop:
    """The outbox loop of a Telegram adapter."""
    return OutboxLoop(store, PLATFORM, TelegramOutboxSender(sender), poll_s=poll_s)
