"""The one redaction function for every line that leaves the process (logs, botctl errors,
``botctl config check``): known secrets, bot-token shapes and URL passwords become ``***``.

Secrets are registered when settings are loaded (:func:`register_settings`), so a line printed
anywhere later — a log record, botctl's final ``error:`` line — is cleaned the same way.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
_TELEGRAM_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b")
# scheme://anything-without-spaces: masked with urlsplit (passwords may contain '@' and ':').
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>]+")
_MIN_SECRET = 6
"""Shorter values are not replaced (a 3-letter password would mask every word containing it)."""

_known: set[str] = set()
_lock = threading.Lock()


class _SecretLike(Protocol):
    def get_secret_value(self) -> str: ...


def mask_url(url: str) -> str:
    """``url`` with the password of its user info replaced by ``***`` (``urlsplit`` semantics:
    the host starts after the *last* ``@``, so ``postgresql://u:p@ss@host/db`` → ``u:***@host``)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # e.g. an invalid port: mask everything between // and the last @
        head, sep, tail = url.partition("://")
        if not sep or "@" not in tail.split("/", 1)[0]:
            return url
        userinfo, _, rest = tail.rpartition("@")
        return f"{head}://{userinfo.partition(':')[0]}:{MASK}@{rest}"
    if password is None:
        return url
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:{MASK}@{hostinfo}"))


def url_password(url: str | None) -> str | None:
    """The password in ``url``'s user info, if any."""
    if not url:
        return None
    try:
        return urlsplit(url).password or None
    except ValueError:
        return None


def register(values: Iterable[str | None]) -> None:
    """Remember secret values: from now on :func:`redact` replaces them everywhere."""
    with _lock:
        _known.update(v for v in values if v and len(v) >= _MIN_SECRET)


def register_settings(settings: object) -> list[str]:
    """Register every secret held by ``settings`` (tokens, canary, URL passwords); returns them."""
    out: list[str] = []
    for name in ("telegram_token", "discord_token", "telegram_webhook_secret", "prompt_canary",
                 "generator_api_key"):
        value: _SecretLike | str | None = getattr(settings, name, None)
        if value is None:
            continue
        out.append(value if isinstance(value, str) else value.get_secret_value())
    for name in ("database_url", "redis_url", "broker_url", "generator_url"):
        password = url_password(getattr(settings, name, None))
        if password:
            out.append(password)
    register(out)
    return [s for s in out if s]


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` without secrets: URL passwords, registered secrets (+ ``extra``), bot tokens."""
    text = _URL.sub(lambda m: mask_url(m.group(0)), text)
    with _lock:
        secrets = sorted({*_known, *(s for s in extra if s and len(s) >= _MIN_SECRET)},
                         key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return _TELEGRAM_TOKEN.sub(MASK, text)
