"""SQL tables of the outbox: messages admins send to users through the bot (migration 0002).

``botcore.memory.sql_models`` imports this module (and this module only the shared base in
``botcore.memory.sql_base``), so these tables are part of ``Base.metadata`` (Alembic autogenerate and
the migration tests see them) without an import circle.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from botcore.memory.sql_base import Base, utcnow

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
"""Delivery states: queued → sending (claimed by an adapter) → sent | failed (or back to queued)."""


class Broadcast(Base):
    """One admin send: an announcement to many users, or a human's reply to one escalation."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="broadcast")
    """``broadcast`` or ``escalation`` (a reply to one user's question)."""
    audience: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    """Users the audience matched but who were not queued (blocked or inactive)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Delivery(Base):
    """One message to one user, delivered by the adapter of ``platform``."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_platform_status", "platform", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(32))
    platform_user_id: Mapped[str] = mapped_column(String(100))
    chat_id: Mapped[str | None] = mapped_column(String(100))
    """Where to post; ``None`` means a direct message to ``platform_user_id``."""
    thread_id: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    claim_token: Mapped[str | None] = mapped_column(String(40))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
