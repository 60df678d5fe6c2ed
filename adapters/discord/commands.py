"""Slash commands: each one defers at once, then answers through the dialogue manager by followup.

``/ask``, ``/mode``, ``/quiz``, ``/faq``, ``/forget``, ``/export``, ``/memory`` and ``/help`` become
the equivalent text command (``/ask text`` becomes ``text`` itself), so they share every rule of the
dialogue manager. ``/settings`` (guild only, Manage Server permission) edits the per-guild settings.
"""

from __future__ import annotations

import logging
from typing import Any, Literal, Protocol

import discord
from discord import app_commands

from adapters.discord.guild_settings import GuildSettings, GuildSettingsCache
from adapters.discord.sinks import NO_MENTIONS

log = logging.getLogger(__name__)

Mode = Literal["auto", "companion", "tutor", "faq", "assistant"]
Skill = Literal["companion", "tutor", "faq", "assistant"]

PRIVATE_COMMANDS = frozenset({"forget", "export", "memory", "help"})
"""Commands whose answers only the caller sees (ephemeral)."""


class CommandRunner(Protocol):
    """What the commands need from the client."""

    guild_settings: GuildSettingsCache

    async def run_command(self, interaction: discord.Interaction[Any], text: str, *, ephemeral: bool) -> None:
        """Defer, run ``text`` through the dialogue manager, answer by followup."""
        ...


def install_commands(tree: app_commands.CommandTree[Any], runner: CommandRunner) -> None:
    """Register every botcore slash command on ``tree``."""

    @tree.command(name="ask", description="Ask me anything")
    @app_commands.describe(question="Your question or message")
    async def ask(interaction: discord.Interaction[Any], question: str) -> None:
        await runner.run_command(interaction, question, ephemeral=False)

    @tree.command(name="mode", description="Pin a skill for this conversation (auto: I choose)")
    @app_commands.describe(skill="companion, tutor, faq, assistant, or auto")
    async def mode(interaction: discord.Interaction[Any], skill: Mode) -> None:
        await runner.run_command(interaction, f"/mode {skill}", ephemeral=False)

    @tree.command(name="quiz", description="Start a quiz")
    @app_commands.describe(topic="What the quiz is about")
    async def quiz(interaction: discord.Interaction[Any], topic: str | None = None) -> None:
        await runner.run_command(interaction, _join("/quiz", topic), ephemeral=False)

    @tree.command(name="faq", description="Ask the knowledge base")
    @app_commands.describe(question="Your question (leave empty to list topics)")
    async def faq(interaction: discord.Interaction[Any], question: str | None = None) -> None:
        await runner.run_command(interaction, _join("/faq", question), ephemeral=False)

    for name, description in (
        ("forget", "Erase everything I stored about you"),
        ("export", "Get everything I stored about you as a JSON file"),
        ("memory", "Show what I remember about you"),
        ("help", "What I can do"),
    ):
        tree.add_command(_simple_command(runner, name, description))

    tree.add_command(SettingsGroup(runner))


def _join(command: str, argument: str | None) -> str:
    argument = (argument or "").strip()
    return f"{command} {argument}" if argument else command


def _simple_command(
    runner: CommandRunner, name: str, description: str
) -> app_commands.Command[Any, ..., None]:
    async def callback(interaction: discord.Interaction[Any]) -> None:
        await runner.run_command(interaction, f"/{name}", ephemeral=name in PRIVATE_COMMANDS)

    return app_commands.Command(name=name, description=description, callback=callback)


class SettingsGroup(app_commands.Group):
    """``/settings …``: per-guild settings, for members with the Manage Server permission."""

    def __init__(self, runner: CommandRunner) -> None:
        super().__init__(
            name="settings",
            description="Server settings of the bot (Manage Server permission)",
            guild_only=True,
            allowed_contexts=app_commands.AppCommandContext(guild=True),
            default_permissions=discord.Permissions(manage_guild=True),
        )
        self.runner = runner

    async def _begin(self, interaction: discord.Interaction[Any]) -> str | None:
        """Defer (ephemeral) and check the caller; the guild id when allowed."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        if interaction.guild_id is None:
            await self._reply(interaction, "Settings exist only in servers.")
            return None
        if not interaction.permissions.manage_guild:
            await self._reply(interaction, "You need the **Manage Server** permission for that.")
            return None
        return str(interaction.guild_id)

    @staticmethod
    async def _reply(interaction: discord.Interaction[Any], text: str) -> None:
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _done(self, interaction: discord.Interaction[Any], settings: GuildSettings) -> None:
        log.info("discord: guild %s settings changed", interaction.guild_id)
        await self._reply(interaction, "Saved.\n" + settings.describe())

    @app_commands.command(name="show", description="Show this server's settings")
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        """Show the current settings."""
        guild = await self._begin(interaction)
        if guild is not None:
            await self._reply(interaction, (await self.runner.guild_settings.get(guild)).describe())

    @app_commands.command(name="channel", description="Answer every message in a channel, or stop")
    @app_commands.describe(enabled="Answer without being mentioned", channel="Default: this one")
    async def channel(
        self,
        interaction: discord.Interaction[Any],
        enabled: bool,
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Enable or disable a channel."""
        guild = await self._begin(interaction)
        if guild is None:
            return
        target = channel.id if channel is not None else interaction.channel_id
        settings = await self.runner.guild_settings.set_channel(guild, str(target), enabled)
        await self._done(interaction, settings)

    @app_commands.command(name="persona", description="How the bot presents itself here")
    @app_commands.describe(text="e.g. 'a patient maths tutor' (leave empty to reset)")
    async def persona(self, interaction: discord.Interaction[Any], text: str | None = None) -> None:
        """Set or reset the persona."""
        guild = await self._begin(interaction)
        if guild is not None:
            value = text.strip()[:500] if text and text.strip() else None
            settings = await self.runner.guild_settings.update(guild, {"persona": value})
            await self._done(interaction, settings)

    @app_commands.command(name="skill", description="The skill used when nobody pinned one")
    async def skill(self, interaction: discord.Interaction[Any], skill: Mode) -> None:
        """Set the default skill (``auto`` resets it)."""
        guild = await self._begin(interaction)
        if guild is not None:
            value = None if skill == "auto" else skill
            settings = await self.runner.guild_settings.update(guild, {"default_skill": value})
            await self._done(interaction, settings)

    @app_commands.command(name="memory", description="Memory per member, or shared per channel")
    async def memory(self, interaction: discord.Interaction[Any], scope: Literal["user", "shared"]) -> None:
        """Set the memory scope."""
        guild = await self._begin(interaction)
        if guild is not None:
            settings = await self.runner.guild_settings.update(guild, {"memory_scope": scope})
            await self._done(interaction, settings)
