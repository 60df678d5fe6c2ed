"""The Discord :class:`~adapters.base.Adapter`: builds the client from settings, runs, stops."""

from __future__ import annotations

import logging

import discord
import discord.http

from adapters.base import AdapterRuntime
from adapters.discord.client import BotcoreClient, ShardedBotcoreClient
from adapters.discord.guild_settings import GuildSettingsCache
from adapters.discord.normalize import PLATFORM
from adapters.discord.outbox import DiscordOutboxSender
from adapters.outbox_loop import OutboxLoop
from botcore.errors import AdapterError, ConfigError

log = logging.getLogger(__name__)

API_VERSION = 10


def api_base(url: str) -> str:
    """The REST base for ``discord.http.Route.BASE`` from ``BOTCORE_DISCORD_API_URL``.

    ``https://host`` and ``https://host/api`` become ``https://host/api/v10``; a URL that already
    names a version (``…/api/v9``) is kept.
    """
    base = url.rstrip("/")
    if base.rsplit("/", 1)[-1].startswith("v") and base.rsplit("/", 1)[-1][1:].isdigit():
        return base
    if not base.endswith("/api"):
        base += "/api"
    return f"{base}/v{API_VERSION}"


def configure_api_base(url: str | None) -> None:
    """Point discord.py's REST calls (interactions and followups included) at ``url``.

    ``Route.BASE`` is process-wide in discord.py; botcore runs one Discord client per process.
    """
    if url:
        discord.http.Route.BASE = api_base(url)
        log.info("discord: REST base %s", discord.http.Route.BASE)


class DiscordAdapter:
    """Serves one bot account on Discord through the runtime's dialogue manager, and delivers
    the outbox (broadcasts, answers to escalations) of platform ``discord`` while it runs.

    Args:
        runtime: the bot runtime (settings, dialogue manager, SQL store).
        outbox_poll_s: seconds between two looks at an empty outbox.
    """

    name = "discord"

    def __init__(self, runtime: AdapterRuntime, *, outbox_poll_s: float = 2.0) -> None:
        settings = runtime.settings
        if settings.discord_token is None or not settings.discord_token.get_secret_value():
            raise ConfigError("BOTCORE_DISCORD_TOKEN is not set")
        if runtime.long_term is None:
            raise ConfigError("the Discord adapter needs the SQL store (per-guild settings)")
        self._token = settings.discord_token
        self.grace_s = settings.shutdown_grace_s
        configure_api_base(settings.discord_api_url)
        cls = ShardedBotcoreClient if settings.discord_autoshard else BotcoreClient
        self.client: BotcoreClient = cls(
            runtime.manager,
            GuildSettingsCache(runtime.long_term),
            gateway_from_api=bool(settings.discord_api_url),
        )
        self.outbox = OutboxLoop(
            runtime.long_term, PLATFORM, DiscordOutboxSender(self.client), poll_s=outbox_poll_s
        )

    async def run(self) -> None:
        """Log in, connect to the gateway and serve until :meth:`stop` (or cancellation)."""
        try:
            await self.client.login(self._token.get_secret_value())
            self.outbox.start()  # REST only: needs the login, not the gateway
            await self.client.connect(reconnect=True)
        except discord.LoginFailure as exc:
            raise AdapterError("Discord refused the bot token") from exc
        except discord.PrivilegedIntentsRequired as exc:
            raise AdapterError("enable the Message Content intent in the Discord developer portal") from exc
        finally:
            await self.outbox.close()
            if not self.client.is_closed():
                await self.client.close()

    async def stop(self) -> None:
        """Take no new turns; let running ones (and a delivery being sent) finish for up to
        ``BOTCORE_SHUTDOWN_GRACE_S``, cancel the rest (asking those users to resend), close."""
        self.outbox.stop()
        await self.client.drain(self.grace_s)
        await self.outbox.close(grace_s=1.0)
        await self.client.close()
