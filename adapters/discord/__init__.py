"""Discord adapter (discord.py 2.x): DMs, guild channels, threads, slash commands and buttons.

The package is ``adapters.discord``; inside it ``import discord`` is absolute and always means the
discord.py library. The entry point ``discord = "adapters.discord:create_adapter"`` (group
``botcore.adapters``) makes ``botctl run discord`` find it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from adapters.discord.adapter import DiscordAdapter

if TYPE_CHECKING:
    from botcore.runtime import Runtime

__all__ = ["DiscordAdapter", "create_adapter"]


def create_adapter(runtime: Runtime) -> DiscordAdapter:
    """Build the Discord adapter for ``runtime`` (entry point of group ``botcore.adapters``)."""
    return DiscordAdapter(runtime)
