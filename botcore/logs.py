"""Logging setup with secret redaction: tokens never reach a log line (httpx logs URLs with the
Telegram token in them at INFO)."""

from __future__ import annotations

import logging
import re

from botcore.config import Settings

_TELEGRAM_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b")


class RedactSecrets(logging.Filter):
    """Replace every known secret (and anything shaped like a bot token) with ``***``."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return _TELEGRAM_TOKEN.sub("***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in the settings."""
    out = []
    for name in ("telegram_token", "discord_token", "telegram_webhook_secret", "prompt_canary"):
        value = getattr(settings, name, None)
        if value is not None:
            out.append(value.get_secret_value())
    for url in (settings.database_url, settings.redis_url, settings.broker_url):
        if url and "@" in url and ":" in url.split("@", 1)[0].split("//", 1)[-1]:
            out.append(url.split("@", 1)[0].split("//", 1)[-1].split(":", 1)[1])  # password
    return out


def setup_logging(settings: Settings, level: str | None = None) -> None:
    """Configure the root logger once, with the redaction filter on every handler."""
    root = logging.getLogger()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets_of(settings)))
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel((level or settings.log_level).upper())
    for noisy in ("httpx", "httpcore", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def install_filter(settings: Settings) -> None:
    """Add the redaction filter to existing handlers (for apps that configure logging)."""
    flt = RedactSecrets(secrets_of(settings))
    for handler in logging.getLogger().handlers:
        handler.addFilter(flt)
