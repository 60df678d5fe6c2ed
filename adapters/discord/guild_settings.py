"""Per-guild settings in SQL (``chat_settings`` rows of platform ``discord``, keyed by guild id).

Keys: ``enabled_channels`` (channel ids where the bot answers without a mention), ``persona``,
``default_skill`` and ``memory_scope`` (``user``: per member, ``shared``: one memory per channel).
Reads are cached per process for a short time, so a busy channel doesn't query SQL per message;
a change made with ``/settings`` in this process is visible at once, one made by another bot
process within :data:`CACHE_TTL_S`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from adapters.discord.normalize import PLATFORM
from botcore.config import SKILLS
from botcore.i18n import Text
from botcore.memory.base import ChatSettings

CACHE_TTL_S = 30.0
MemoryScope = Literal["user", "shared"]


class ChatSettingsStore(Protocol):
    """The part of :class:`botcore.memory.stores.AdminStore` this module needs."""

    async def get_chat_settings(self, platform: str, chat_id: str) -> ChatSettings:
        """Settings of one chat or guild (``{}`` when none)."""
        ...

    async def set_chat_settings(self, platform: str, chat_id: str, values: Mapping[str, Any]) -> None:
        """Merge ``values``; ``None`` removes a key."""
        ...

DESCRIBE = Text("**Channels where I answer every message:** {channels}\n**Persona:** {persona}\n"
                "**Default skill:** {skill}\n**Skills:** {skills}\n**Memory:** {memory}",
                "**我回复每条消息的频道：** {channels}\n**人设：** {persona}\n"
                "**默认技能：** {skill}\n**技能：** {skills}\n**记忆：** {memory}")
ALL_SKILLS = Text("all allowed", "全部")
NO_CHANNELS = Text("none (mention me)", "无（请 @ 我）")
DEFAULT = Text("default", "默认")
SHARED = Text("shared per channel", "整个频道共用")
PER_MEMBER = Text("per member", "每个成员分别记忆")


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """What a guild's admins configured."""

    enabled_channels: frozenset[str] = field(default_factory=frozenset)
    persona: str | None = None
    default_skill: str | None = None
    memory_scope: MemoryScope = "user"
    skills: tuple[str, ...] = ()
    """Skills allowed in this guild (empty: every skill the deployment allows)."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GuildSettings:
        """Read stored values, ignoring anything malformed."""
        channels = data.get("enabled_channels")
        channels = channels if isinstance(channels, list) else []
        skill = data.get("default_skill")
        scope = data.get("memory_scope")
        persona = data.get("persona")
        return cls(
            enabled_channels=frozenset(str(c) for c in channels if str(c).isdigit()),
            persona=persona if isinstance(persona, str) and persona.strip() else None,
            default_skill=skill if skill in SKILLS else None,
            memory_scope="shared" if scope == "shared" else "user",
            skills=tuple(s for s in SKILLS if s in (data.get("skills") or [])),
        )

    def describe(self, lang: str | None = None) -> str:
        """A short human summary for ``/settings``, in ``lang``."""
        channels = ", ".join(f"<#{c}>" for c in sorted(self.enabled_channels))
        return DESCRIBE.render(
            lang, channels=channels or NO_CHANNELS.render(lang),
            persona=self.persona or DEFAULT.render(lang),
            skill=self.default_skill or "auto",
            skills=", ".join(self.skills) or ALL_SKILLS.render(lang),
            memory=(SHARED if self.memory_scope == "shared" else PER_MEMBER).render(lang))

class GuildSettingsCache:
    """Loads and saves :class:`GuildSettings` through the SQL store, with a short read cache."""

    def __init__(self, store: ChatSettingsStore, *, ttl_s: float = CACHE_TTL_S) -> None:
        self._store = store
        self._ttl = ttl_s
        self._cache: dict[str, tuple[float, GuildSettings]] = {}

    async def get(self, guild_id: str) -> GuildSettings:
        """The guild's settings (defaults when none are stored)."""
        hit = self._cache.get(guild_id)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        settings = GuildSettings.from_dict(await self._store.get_chat_settings(PLATFORM, guild_id))
        self._cache[guild_id] = (now, settings)
        return settings

    async def update(self, guild_id: str, values: Mapping[str, Any]) -> GuildSettings:
        """Merge ``values`` into the stored settings (``None`` resets a key); the result."""
        await self._store.set_chat_settings(PLATFORM, guild_id, values)
        self._cache.pop(guild_id, None)
        return await self.get(guild_id)

    async def set_channel(self, guild_id: str, channel_id: str, enabled: bool) -> GuildSettings:
        """Enable or disable answering every message in one channel."""
        self._cache.pop(guild_id, None)  # read-modify-write on fresh data
        current = set((await self.get(guild_id)).enabled_channels)
        if enabled:
            current.add(channel_id)
        else:
            current.discard(channel_id)
        return await self.update(guild_id, {"enabled_channels": sorted(current) or None})
