"""The bot token never reaches a log line, from any logger, including httpx's request lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from adapters.telegram.redact import (
    REDACTED,
    RedactingFilter,
    install_redaction,
    uninstall_redaction,
)
from tests.adapters.telegram_payloads import TOKEN


@pytest.fixture
def redaction() -> Iterator[None]:
    install_redaction(TOKEN)
    yield
    uninstall_redaction()


def test_httpx_request_log_is_redacted(redaction: None, caplog: pytest.LogCaptureFixture) -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"ok": True, "result": True})

    with caplog.at_level(logging.DEBUG):
        with httpx.Client(transport=httpx.MockTransport(reply)) as client:
            client.post(f"https://api.telegram.org/bot{TOKEN}/getMe")
    text = caplog.text
    assert "getMe" in text  # httpx did log the request…
    assert TOKEN not in text and REDACTED in text  # …without the token


def test_args_messages_and_tracebacks_are_redacted(redaction: None, caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("some.deep.child.logger")
    with caplog.at_level(logging.INFO):
        log.info("calling %s", f"https://x/bot{TOKEN}/sendMessage")
        log.warning(f"inline {TOKEN}")
        try:
            raise RuntimeError(f"failed url https://x/bot{TOKEN}/getUpdates")
        except RuntimeError:
            log.exception("boom")
    formatted = "\n".join(logging.Formatter("%(message)s").format(r) for r in caplog.records)
    assert TOKEN not in formatted and TOKEN not in caplog.text
    assert formatted.count(REDACTED) >= 3


def test_uninstalled_redaction_stops(caplog: pytest.LogCaptureFixture) -> None:
    install_redaction("s3cr3t-value")
    uninstall_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("x").info("s3cr3t-value")
    assert "s3cr3t-value" in caplog.text


def test_filter_for_a_single_handler() -> None:
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "POST %s", (f"/bot{TOKEN}/x",), None)
    assert RedactingFilter([TOKEN]).filter(record)
    assert record.getMessage() == f"POST /bot{REDACTED}/x"
