"""Telegram adapter (python-telegram-bot, async): ``botctl run telegram``.

Modules: :mod:`.normalize` (updates → ``IncomingMessage``), :mod:`.markup` (reply Markdown →
Telegram HTML, split at 4096 UTF-16 units), :mod:`.sender` and :mod:`.reply` (the send path,
streaming, typing), :mod:`.ratelimit` (flood limits), :mod:`.polling` and :mod:`.webhook`
(transports), :mod:`.redact` (the token never reaches a log), :mod:`.outbox` (broadcasts and
escalation answers queued by ``botctl``), :mod:`.adapter` (the adapter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.telegram.adapter import TelegramAdapter

if TYPE_CHECKING:
    from botcore.runtime import Runtime

__all__ = ["TelegramAdapter", "create_adapter"]


def create_adapter(runtime: Runtime) -> TelegramAdapter:
    """The entry point of group ``botcore.adapters`` named ``telegram``.

    Raises:
        ConfigError: ``BOTCORE_TELEGRAM_TOKEN`` is not set.
    """
    return TelegramAdapter(runtime)
