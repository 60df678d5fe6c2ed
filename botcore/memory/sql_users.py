"""Users and their platform identities in SQL (see :class:`~botcore.memory.stores.UserStore`)."""

from __future__ import annotations

from botcore.memory.base import UserRecord
from botcore.memory.sql_common import (
    SqlStoreBase,
    user_record,
)


class SqlUsers(SqlStoreBase):
    """Users and their platform identities in SQL."""

    async def ensure_user(
        self, platform: str, platform_user_id: str, display_name: str | None = None
    ) -> UserRecord:
        """Get or create the user and its identity."""
        async with self.session() as s:
            user, ident = await self._ensure_user(s, platform, platform_user_id, display_name)
            return user_record(user, ident)

    async def get_user(self, platform: str, platform_user_id: str) -> UserRecord | None:
        """The user, or None."""
        async with self.session() as s:
            found = await self._find_identity(s, platform, platform_user_id)
            return user_record(*found) if found else None

    async def set_user_flags(
        self,
        platform: str,
        platform_user_id: str,
        *,
        blocked: bool | None = None,
        active: bool | None = None,
        consent_training: bool | None = None,
    ) -> bool:
        """Update flags; False if no such user."""
        async with self.session() as s:
            found = await self._find_identity(s, platform, platform_user_id)
            if not found:
                return False
            user = found[0]
            if blocked is not None:
                user.blocked = blocked
            if active is not None:
                user.active = active
            if consent_training is not None:
                user.consent_training = consent_training
            return True
