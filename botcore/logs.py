"""Logging setup with secret redaction: tokens never reach a log line (httpx logs URLs with the
Telegram token in them at INFO)."""

from __future__ import annotations

import logging
import traceback

from botcore.config import Settings
from botcore.redact import redact, register_settings


class RedactSecrets(logging.Filter):
    """Replace every known secret, URL password and bot-token shape with ``***`` (message and
    traceback), through :func:`botcore.redact.redact` — the one redaction of every line out."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def _clean(self, text: str) -> str:
        return redact(text, self.secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler
            return True
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value in the settings (tokens, canary, URL passwords), also registered with
    :mod:`botcore.redact` so botctl's own error lines are cleaned too."""
    return register_settings(settings)


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
