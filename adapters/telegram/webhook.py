"""Webhook mode: Telegram POSTs updates to us (when ``BOTCORE_TELEGRAM_WEBHOOK_URL`` is set).

A small aiohttp server listens on ``BOTCORE_TELEGRAM_WEBHOOK_LISTEN`` (behind your TLS proxy) at
the path of the webhook URL. Every request must carry the secret token we registered with
``setWebhook`` (header ``X-Telegram-Bot-Api-Secret-Token``); without a configured secret a random
one is made at each start. Updates are acknowledged at once and processed in the background;
when too many turns are in flight the answer waits, which makes Telegram slow down.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.error import TelegramError

from adapters.telegram.intake import ALLOWED_UPDATES, UpdateSink
from adapters.telegram.redact import install_redaction
from botcore.config import listen_address as parse_listen
from botcore.errors import AdapterError, ConfigError

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def listen_address(listen: str) -> tuple[str, int]:
    """``host:port`` → ``(host, port)`` (an empty host means 127.0.0.1, never every interface)."""
    try:
        return parse_listen(listen)
    except ValueError as exc:
        raise ConfigError(f"BOTCORE_TELEGRAM_WEBHOOK_LISTEN: {exc}") from None


def make_app(adapter: UpdateSink, secret: str, path: str) -> web.Application:
    """The aiohttp application that receives updates at ``path``."""

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403)
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, adapter.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("webhook: unreadable update: %s", exc)
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        await adapter.wait_for_capacity()
        adapter.submit(update)
        return web.Response(text="ok")

    app = web.Application(client_max_size=2**20)
    app.router.add_post(path, receive)
    return app


async def serve_webhook(adapter: UpdateSink, stopping: asyncio.Event) -> None:
    """Register the webhook, serve it until ``stopping`` is set, then close the server.

    The webhook stays registered on stop, so Telegram keeps updates for the next start.
    """
    settings = adapter.settings
    url = settings.telegram_webhook_url or ""
    configured = settings.telegram_webhook_secret
    secret = configured.get_secret_value() if configured else secrets.token_urlsafe(32)
    install_redaction(secret)
    path = urlsplit(url).path or "/"
    host, port = listen_address(settings.telegram_webhook_listen)
    runner = web.AppRunner(make_app(adapter, secret, path), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    try:

        await adapter.bot.set_webhook(
            url, secret_token=secret, allowed_updates=ALLOWED_UPDATES, max_connections=40
        )
        log.info("telegram webhook listening on %s:%d%s", host, port, path)
        await stopping.wait()
    except TelegramError as exc:
        raise AdapterError(f"setWebhook failed: {exc.message}") from exc
    finally:
        await runner.cleanup()
