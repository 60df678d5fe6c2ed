"""Operator data in SQL: per-chat settings, model versions and the audit log
(see :class:`~botcore.memory.stores.AdminStore`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import select, update

from botcore.memory import sql_models as m
from botcore.memory.base import ChatSettings, ModelVersionRef, ModelVersionRow
from botcore.memory.sql_common import (
    SqlStoreBase,
)


class SqlAdmin(SqlStoreBase):
    """Operator data in SQL: per-chat settings, model versions and the audit log."""

    async def get_chat_settings(self, platform: str, chat_id: str) -> ChatSettings:
        """Per-chat / per-guild settings ({} when none are set)."""
        async with self.session() as s:
            row = await s.get(m.ChatSettings, (platform, chat_id))
            return cast(ChatSettings, dict(row.settings)) if row and row.settings else {}

    async def set_chat_settings(self, platform: str, chat_id: str, values: Mapping[str, Any]) -> None:
        """Merge ``values`` into the chat's settings; a ``None`` value removes the key."""
        async with self.session() as s:
            row = await s.get(m.ChatSettings, (platform, chat_id))
            current = dict(row.settings) if row and row.settings else {}
            for k, v in values.items():
                if v is None:
                    current.pop(k, None)
                else:
                    current[k] = v
            if row is None:
                s.add(m.ChatSettings(platform=platform, chat_id=chat_id, settings=current))
            else:
                row.settings = current

    async def register_model_version(self, name: str, path: str, metrics: Mapping[str, Any]) -> int:
        """Record a trained model version (inactive until activated)."""
        async with self.session() as s:
            row = (await s.execute(
                select(m.ModelVersion).where(m.ModelVersion.name == name))).scalar_one_or_none()
            if row is None:
                row = m.ModelVersion(name=name, path=path, metrics=dict(metrics))
                s.add(row)
            else:
                row.path, row.metrics = path, dict(metrics)
            await s.flush()
            return row.id

    async def list_model_versions(self) -> list[ModelVersionRow]:
        """All registered versions, newest first."""
        async with self.session() as s:
            rows = (await s.execute(
                select(m.ModelVersion).order_by(m.ModelVersion.id.desc()))).scalars()
            return [
                {"name": r.name, "path": r.path, "metrics": r.metrics or {}, "active": r.active,
                 "created_at": r.created_at.isoformat()}
                for r in rows
            ]

    async def activate_model_version(self, name: str) -> bool:
        """Make ``name`` the one active version; False if unknown."""
        async with self.session() as s:
            row = (await s.execute(
                select(m.ModelVersion).where(m.ModelVersion.name == name))).scalar_one_or_none()
            if row is None:
                return False
            await s.execute(update(m.ModelVersion).values(active=False))
            row.active = True
            return True

    async def active_model_version(self) -> ModelVersionRef | None:
        """The active version, or None (the shipped default)."""
        async with self.session() as s:
            row = (await s.execute(
                select(m.ModelVersion).where(m.ModelVersion.active.is_(True)))).scalar_one_or_none()
            if row is None:
                return None
            return {"name": row.name, "path": row.path, "metrics": row.metrics or {}}

    async def audit(self, actor: str, action: str, target: str | None = None,
                    details: Mapping[str, Any] | None = None) -> None:
        """Write an admin action to the audit log."""
        async with self.session() as s:
            s.add(m.AuditLog(actor=actor, action=action, target=target,
                             details=dict(details) if details else None))
