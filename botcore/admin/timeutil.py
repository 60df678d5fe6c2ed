"""Datetime helpers: SQLite hands back naive UTC datetimes, Postgres aware ones."""

from __future__ import annotations

from datetime import UTC, datetime


def aware(value: datetime | None) -> datetime | None:
    """The same instant as an aware UTC datetime (naive values are taken as UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC, to the second (``None`` stays ``None``)."""
    v = aware(value)
    return v.isoformat(timespec="seconds") if v else None


def short(value: datetime | None) -> str:
    """``2026-11-29 07:41`` for tables (``-`` when missing)."""
    v = aware(value)
    return v.strftime("%Y-%m-%d %H:%M") if v else "-"
