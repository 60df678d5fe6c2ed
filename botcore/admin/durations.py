"""Durations as operators type them: ``90d``, ``12h``, ``30m``, ``2w``, ``45s``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from botcore.errors import InputError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)


def parse_duration(text: str) -> timedelta:
    """``"7d"`` → 7 days.

    Raises:
        InputError: not a positive number followed by s, m, h, d or w.
    """
    match = _DURATION.match(text or "")
    if not match:
        raise InputError(f"bad duration {text!r}: use a number and a unit, e.g. 90d, 12h, 30m, 2w")
    seconds = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if seconds <= 0:
        raise InputError(f"bad duration {text!r}: must be more than zero")
    return timedelta(seconds=seconds)


def since(text: str | None, *, now: datetime | None = None) -> datetime | None:
    """The start of a window ending now; ``None`` or ``"all"`` means no lower bound."""
    if text is None or text.strip().lower() == "all":
        return None
    return (now or datetime.now(UTC)) - parse_duration(text)
