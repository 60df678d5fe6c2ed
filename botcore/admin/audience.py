"""Who a broadcast reaches: an audience spec turned into (identity, user) rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from botcore.errors import InputError
from botcore.memory import sql_models as m

UNREACHABLE = frozenset({"console"})
"""Platforms with no way to push a message (the terminal chat): never part of ``all``."""


@dataclass(frozen=True, slots=True)
class Audience:
    """A broadcast's target.

    Attributes:
        to: ``all`` (every platform but the console), a platform name (``telegram``, ``discord``
            or a plugin's), or ``segment`` (every platform, narrowed by at least one filter).
        skill: only users who got an answer from this skill (in ``seen_since`` when set).
        seen_since: only users seen at or after this time.
        users: only these ``platform:user_id`` refs.
    """

    to: str
    skill: str | None = None
    seen_since: datetime | None = None
    users: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.to or not self.to.replace("-", "").replace("_", "").isalnum():
            raise InputError(f"bad audience {self.to!r}: use all, telegram, discord or segment")
        if self.to in UNREACHABLE:
            raise InputError(f"{self.to} users cannot be reached by a broadcast")
        if self.to == "segment" and not (self.skill or self.seen_since or self.users):
            raise InputError("--to segment needs a filter: --skill, --seen-within or --user")
        for ref in self.users:
            platform, sep, uid = ref.partition(":")
            if not (platform and sep and uid):
                raise InputError(f"bad user {ref!r}: use platform:user_id")

    def describe(self) -> str:
        """A short label stored with the broadcast (``segment skill=tutor seen>=…``)."""
        parts = [self.to]
        if self.skill:
            parts.append(f"skill={self.skill}")
        if self.seen_since:
            parts.append(f"seen>={self.seen_since.isoformat(timespec='minutes')}")
        if self.users:
            parts.append(f"users={len(self.users)}")
        return " ".join(parts)[:200]

    def query(self) -> Any:
        """SELECT (identity, user) for every user the audience matches, blocked ones included."""
        q = select(m.Identity, m.User).join(m.User, m.User.id == m.Identity.user_id)
        if self.to in ("all", "segment"):
            q = q.where(m.Identity.platform.not_in(sorted(UNREACHABLE)))
        else:
            q = q.where(m.Identity.platform == self.to)
        if self.seen_since is not None:
            q = q.where(m.User.last_seen_at >= self.seen_since)
        if self.skill:
            used = select(m.Message.user_id).where(m.Message.skill == self.skill).where(
                m.Message.role == "assistant")
            if self.seen_since is not None:
                used = used.where(m.Message.created_at >= self.seen_since)
            q = q.where(m.User.id.in_(used))
        if self.users:
            cond: Any = None
            for ref in self.users:
                platform, _, uid = ref.partition(":")
                one = (m.Identity.platform == platform) & (m.Identity.platform_user_id == uid)
                cond = one if cond is None else cond | one
            q = q.where(cond)
        return q.order_by(m.Identity.id)
