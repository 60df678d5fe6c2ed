"""Admin messages from the SQL outbox (``botctl broadcast``, ``botctl escalations reply``).

A delivery without a chat is a direct message: the DM channel comes from ``create_dm`` (cached
by discord.py after the first one). Otherwise it goes to the thread (``thread_id``) or channel
(``chat_id``) where the user asked: the cached channel, or a partial messageable when the
channel is not cached (a DM channel, before the gateway is ready…), which posts without an
extra lookup. The text is shaped like a reply — mass mentions neutralized, split at 2000
characters with code blocks intact — and sent with ``AllowedMentions.none()`` through
discord.py's HTTP client, whose rate-limit buckets and 429 retries cover it. Outcomes map onto
the outbox contract (docs/botctl.md, "Outbox consumer contract"):

- 403 (``50007`` cannot DM this user, missing access or permission) and 404 (unknown user or
  channel), other 4xx: permanent failure;
- a 429 discord.py would not wait out: :class:`~botcore.errors.RateLimited`;
- 5xx and network errors: retried by the outbox with backoff.
"""

from __future__ import annotations

import logging

import aiohttp
import discord

from adapters.discord.sinks import ChannelSink
from adapters.discord.text import neutralize_mass_mentions, split_message
from adapters.outbox_sender import OutboxSender
from botcore.admin.outbox import DeliveryFailed, PendingDelivery
from botcore.errors import RateLimited

log = logging.getLogger(__name__)

"""Longest wait, when stopping, for a delivery whose send is in flight."""
DEFAULT_RETRY_S = 5.0


async def destination(client: discord.Client, d: PendingDelivery) -> discord.abc.Messageable:
    """The DM channel, thread or channel a delivery goes to.

    Raises:
        DeliveryFailed: the ids are not snowflakes (permanent).
        discord.HTTPException: opening the DM channel failed.
    """
    try:
        if d.chat_id is None:
            uid = int(d.platform_user_id)
            return await client.create_dm(client.get_user(uid) or discord.Object(uid))
        cid = int(d.thread_id or d.chat_id)
    except ValueError as exc:
        raise DeliveryFailed(f"not a Discord id: {d.platform_user_id!r}/{d.chat_id!r}") from exc
    channel = client.get_channel(cid)
    if isinstance(channel, discord.abc.Messageable):
        return channel
    return client.get_partial_messageable(cid)


def _retry_after(exc: discord.HTTPException) -> float:
    header = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(header) if header else DEFAULT_RETRY_S
    except ValueError:
        return DEFAULT_RETRY_S


class DiscordOutboxSender(OutboxSender[ChannelSink, str]):
    """The ``send`` function of :func:`~botcore.admin.outbox.consume_outbox` for Discord
    (chunks already delivered are not sent again on a retry: see
    :class:`~adapters.outbox_sender.OutboxSender`)."""

    def __init__(self, client: discord.Client) -> None:
        super().__init__()
        self.client = client

    def parts(self, d: PendingDelivery) -> list[str]:
        """``d`` shaped like a reply: mass mentions neutralized, 2000-character chunks."""
        return split_message(neutralize_mass_mentions(d.text))

    async def destination(self, d: PendingDelivery) -> ChannelSink:
        """The DM channel, thread or channel ``d`` goes to."""
        return ChannelSink(await destination(self.client, d))

    async def send_part(self, dest: ChannelSink, part: str) -> None:
        """Send one chunk."""
        await dest.send(part)

    def failure(self, exc: Exception) -> DeliveryFailed | RateLimited | None:
        """Discord's errors on the outbox contract."""
        if isinstance(exc, discord.RateLimited):  # longer than discord.py is willing to wait
            return RateLimited(exc.retry_after)
        if isinstance(exc, discord.DiscordServerError):
            return DeliveryFailed(f"Discord {exc.status}: {exc.text}", permanent=False)
        if isinstance(exc, discord.HTTPException):
            if exc.status == 429:
                return RateLimited(_retry_after(exc))
            return DeliveryFailed(f"Discord refused ({exc.status}, code {exc.code}): {exc.text}",
                                  permanent=True)
        if isinstance(exc, aiohttp.ClientError | OSError | TimeoutError):
            return DeliveryFailed(f"{type(exc).__name__}: {exc}", permanent=False)
        return None
