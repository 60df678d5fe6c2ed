"""Building the PTB bot object: token, Bot API base URL, HTTP requests and the rate limiter."""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import ExtBot
from telegram.request import BaseRequest, HTTPXRequest

from adapters.telegram.ratelimit import ChatRateLimiter
from botcore.dialogue import command_registry as registry
from botcore.errors import ConfigError

OFFICIAL_API = "https://api.telegram.org"


def commands(lang: str | None = None) -> tuple[BotCommand, ...]:
    """The command menu in ``lang`` (``setMyCommands`` once per language at start): every
    command users may see, from :mod:`botcore.dialogue.command_registry`."""
    return tuple(BotCommand(c.name, c.summary.render(lang)) for c in registry.menu())


COMMANDS: tuple[BotCommand, ...] = commands("en")
"""The command menu registered with ``setMyCommands`` at start."""


def api_base_urls(api_url: str | None) -> tuple[str, str]:
    """The ``(base_url, base_file_url)`` PTB needs for a configured Bot API URL.

    PTB builds request URLs as ``base_url + token + "/" + method``, so ``base_url`` must end with
    ``/bot``. We accept a plain server address (``http://127.0.0.1:8081``), one that already ends
    in ``/bot``, or a template with ``{token}``.
    """
    url = (api_url or OFFICIAL_API).strip()
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"BOTCORE_TELEGRAM_API_URL must be an http(s) URL, got {url!r}")
    if "{token}" in url:
        return url, url.replace("/bot{token}", "/file/bot{token}")
    root = url.rstrip("/").removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


def build_bot(
    token: str,
    api_url: str | None = None,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limiter: ChatRateLimiter | None = None,
    poll_timeout: float = 30.0,
) -> ExtBot[int]:
    """An :class:`~telegram.ext.ExtBot` for ``token`` that talks to ``api_url``.

    Args:
        token: the bot token from @BotFather.
        api_url: the Bot API server (``None``: the official one).
        request: the HTTP request object for ordinary calls (tests pass a fake one).
        get_updates_request: the one for long polling (read timeout above ``poll_timeout``).
        rate_limiter: defaults to a :class:`ChatRateLimiter` with Telegram's limits.
        poll_timeout: the long-polling timeout the adapter uses, in seconds.
    """
    if not token or ":" not in token:
        raise ConfigError("BOTCORE_TELEGRAM_TOKEN is missing or not a bot token (id:secret)")
    base_url, base_file_url = api_base_urls(api_url)
    if request is None:
        request = HTTPXRequest(connection_pool_size=64, read_timeout=15.0, pool_timeout=10.0)
    if get_updates_request is None:
        get_updates_request = HTTPXRequest(read_timeout=poll_timeout + 10.0)
    return ExtBot(
        token,
        base_url=base_url,
        base_file_url=base_file_url,
        request=request,
        get_updates_request=get_updates_request,
        rate_limiter=rate_limiter or ChatRateLimiter(),
    )
