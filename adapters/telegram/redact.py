"""Keep the bot token out of logs.

httpx logs every request URL at INFO (``POST https://api.telegram.org/bot<TOKEN>/getUpdates``),
and HTTP errors quote the URL too. A logger filter would only see records of the logger it is
attached to, not its children, so :func:`install_redaction` wraps the process's log record
factory instead: every record, from any logger, has its secrets replaced before any handler
formats it. :class:`RedactingFilter` does the same job for one handler or logger.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Iterable
from typing import Any

from botcore.redact import MASK, register
from botcore.redact import redact as redact_line

REDACTED = MASK
"""What a secret becomes (the same mask as every other line: :data:`botcore.redact.MASK`)."""

_lock = threading.Lock()
_secrets: set[str] = set()
_original_factory: Any = None


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret replaced (botcore's one redaction function, :mod:`botcore.redact`)."""
    return redact_line(text, secrets)


def _scrub(record: logging.LogRecord, secrets: Iterable[str]) -> None:
    secrets = tuple(secrets)
    if not secrets:
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to the handler to report
        return
    clean = redact(message, secrets)
    if clean != message:  # keep msg/args as they are otherwise (log aggregators group on msg)
        record.msg, record.args = clean, None
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = redact(record.exc_text, secrets)
    if record.stack_info:
        record.stack_info = redact(record.stack_info, secrets)


class RedactingFilter(logging.Filter):
    """A filter that rewrites records so they no longer contain any of ``secrets``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record; always keep it."""
        _scrub(record, self.secrets)
        return True


def install_redaction(*secrets: str) -> None:
    """Redact ``secrets`` from every log record created in this process from now on."""
    global _original_factory
    register(secrets)
    with _lock:
        _secrets.update(s for s in secrets if s)
        if _original_factory is not None:
            return
        original = logging.getLogRecordFactory()
        _original_factory = original

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record: logging.LogRecord = original(*args, **kwargs)
            _scrub(record, tuple(_secrets))
            return record

        logging.setLogRecordFactory(factory)


def uninstall_redaction() -> None:
    """Restore the log record factory and forget the secrets (for tests)."""
    global _original_factory
    with _lock:
        if _original_factory is not None:
            logging.setLogRecordFactory(_original_factory)
            _original_factory = None
        _secrets.clear()
