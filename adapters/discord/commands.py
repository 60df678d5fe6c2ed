"""Slash commands: each one defers at once, then answers through the dialogue manager by followup.

Every command users may see in :mod:`botcore.dialogue.command_registry` becomes a slash command
that runs the equivalent text command (its one argument, if any, becomes an option), so they share
every rule of the dialogue manager; a private or quiet command answers ephemerally. ``/ask`` (Discord
only) sends its text as an ordinary message. ``/settings`` (guild only, Manage Server permission)
edits the per-guild settings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal, Protocol

import discord
from discord import app_commands

from adapters.discord.guild_settings import GuildSettings, GuildSettingsCache
from adapters.discord.sinks import NO_MENTIONS
from botcore.chat_settings import parse_change
from botcore.config import SKILLS
from botcore.dialogue import command_registry as registry
from botcore.i18n import Text


def _(text: Text) -> app_commands.locale_str:
    """A command text for Discord: its English, carrying the :class:`~botcore.i18n.Text` so the
    tree's :class:`~adapters.discord.i18n.CatalogTranslator` gives Discord the Chinese."""
    return app_commands.locale_str(text.en, text=text)


log = logging.getLogger(__name__)

Mode = Literal["auto", "companion", "tutor", "faq", "assistant"]
Skill = Literal["companion", "tutor", "faq", "assistant"]

ASK = Text("Ask me anything", "问我任何问题")
ASK_QUESTION = Text("Your question or message", "你的问题或消息")
ONLY_SERVERS = Text("Settings exist only in servers.", "设置只在服务器里可用。")
NEED_MANAGE = Text("You need the **Manage Server** permission for that.",
                   "这需要 **管理服务器** 权限。")
SAVED = Text("Saved.\n{settings}", "已保存。\n{settings}")
SHOW = Text("Show this server's settings", "显示本服务器的设置")
CHANNEL = Text("Answer every message in a channel, or stop", "在某个频道回复每一条消息，或者停止")
CHANNEL_ENABLED = Text("Answer without being mentioned", "不用 @ 我也回复")
CHANNEL_CHANNEL = Text("Default: this one", "默认：当前频道")
PERSONA = Text("How the bot presents itself here", "机器人在这里的人设")
PERSONA_TEXT = Text("e.g. 'a patient maths tutor' (leave empty to reset)",
                    "例如“一位耐心的数学老师”（留空则恢复默认）")
SKILL = Text("The skill used when nobody pinned one", "没人固定技能时使用的技能")
SKILLS_DESC = Text("The skills that may answer in this server", "这个服务器里允许回答的技能")
SKILLS_ARG = Text("e.g. 'faq' (FAQ-only) or 'faq,tutor'; 'all' resets",
                  "例如 'faq'（只用知识库）或 'faq,tutor'；'all' 恢复全部")
BAD_SKILLS = Text("Unknown skills {value!r}: use {skills} (comma separated) or all.",
                  "未知的技能 {value!r}：请用 {skills}（逗号分隔）或 all。")
MEMORY_SCOPE = Text("Memory per member, or shared per channel", "按成员分别记忆，或整个频道共用")


class CommandRunner(Protocol):
    """What the commands need from the client."""

    guild_settings: GuildSettingsCache

    async def run_command(self, interaction: discord.Interaction[Any], text: str, *, ephemeral: bool) -> None:
        """Defer, run ``text`` through the dialogue manager, answer by followup."""
        ...


def install_commands(tree: app_commands.CommandTree[Any], runner: CommandRunner) -> None:
    """Register ``/ask`` and every slash command of the command registry on ``tree``."""

    @tree.command(name="ask", description=_(ASK))
    @app_commands.describe(question=_(ASK_QUESTION))
    async def ask(interaction: discord.Interaction[Any], question: str) -> None:
        await runner.run_command(interaction, question, ephemeral=False)

    for spec in registry.menu():
        if spec.platform:
            tree.add_command(PLATFORM_COMMANDS[spec.name](runner, spec))
        else:
            tree.add_command(slash_command(runner, spec))


def slash_command(runner: CommandRunner, spec: registry.Command) -> app_commands.Command[Any, ..., None]:
    """The slash command that runs ``/NAME [argument]`` as text (ephemeral when private or quiet)."""
    command, ephemeral, arg = f"/{spec.name}", spec.private or spec.quiet, spec.argument
    if arg is None:
        async def plain(interaction: discord.Interaction[Any]) -> None:
            await runner.run_command(interaction, command, ephemeral=ephemeral)

        return app_commands.Command(name=spec.name, description=_(spec.summary), callback=plain)
    if arg.required:
        async def required(interaction: discord.Interaction[Any], argument: str) -> None:
            await runner.run_command(interaction, _join(command, argument), ephemeral=ephemeral)

        callback: Any = required
    else:
        async def optional(interaction: discord.Interaction[Any], argument: str | None = None) -> None:
            await runner.run_command(interaction, _join(command, argument), ephemeral=ephemeral)

        callback = optional
    callback = app_commands.rename(argument=arg.name)(callback)
    callback = app_commands.describe(argument=_(arg.description))(callback)
    if arg.choices:
        callback = app_commands.choices(
            argument=[app_commands.Choice(name=c, value=c) for c in arg.choices])(callback)
    return app_commands.Command(name=spec.name, description=_(spec.summary), callback=callback)


def _locale(interaction: discord.Interaction[Any]) -> str | None:
    """The caller's Discord client language (``zh-CN`` …), for fixed texts."""
    return str(interaction.locale) if interaction.locale else None


def _join(command: str, argument: str | None) -> str:
    argument = (argument or "").strip()
    return f"{command} {argument}" if argument else command


class SettingsGroup(app_commands.Group):
    """``/settings …``: per-guild settings, for members with the Manage Server permission."""

    def __init__(self, runner: CommandRunner, spec: registry.Command) -> None:
        super().__init__(
            name=spec.name,
            description=_(spec.summary),
            guild_only=True,
            allowed_contexts=app_commands.AppCommandContext(guild=True),
            default_permissions=discord.Permissions(manage_guild=True),
        )
        self.runner = runner

    async def _begin(self, interaction: discord.Interaction[Any]) -> str | None:
        """Defer (ephemeral) and check the caller; the guild id when allowed."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        if interaction.guild_id is None:
            await self._reply(interaction, ONLY_SERVERS.render(_locale(interaction)))
            return None
        if not interaction.permissions.manage_guild:
            await self._reply(interaction, NEED_MANAGE.render(_locale(interaction)))
            return None
        return str(interaction.guild_id)

    @staticmethod
    async def _reply(interaction: discord.Interaction[Any], text: str) -> None:
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _done(self, interaction: discord.Interaction[Any], settings: GuildSettings) -> None:
        log.info("discord: guild %s settings changed", interaction.guild_id)
        lang = _locale(interaction)
        await self._reply(interaction, SAVED.render(lang, settings=settings.describe(lang)))

    @app_commands.command(name="show", description=_(SHOW))
    async def show(self, interaction: discord.Interaction[Any]) -> None:
        """Show the current settings."""
        guild = await self._begin(interaction)
        if guild is not None:
            settings = await self.runner.guild_settings.get(guild)
            await self._reply(interaction, settings.describe(_locale(interaction)))

    @app_commands.command(name="channel", description=_(CHANNEL))
    @app_commands.describe(enabled=_(CHANNEL_ENABLED), channel=_(CHANNEL_CHANNEL))
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

    @app_commands.command(name="persona", description=_(PERSONA))
    @app_commands.describe(text=_(PERSONA_TEXT))
    async def persona(self, interaction: discord.Interaction[Any], text: str | None = None) -> None:
        """Set or reset the persona."""
        guild = await self._begin(interaction)
        if guild is not None:
            value = text.strip()[:500] if text and text.strip() else None
            settings = await self.runner.guild_settings.update(guild, {"persona": value})
            await self._done(interaction, settings)

    @app_commands.command(name="skill", description=_(SKILL))
    async def skill(self, interaction: discord.Interaction[Any], skill: Mode) -> None:
        """Set the default skill (``auto`` resets it)."""
        guild = await self._begin(interaction)
        if guild is not None:
            value = None if skill == "auto" else skill
            settings = await self.runner.guild_settings.update(guild, {"default_skill": value})
            await self._done(interaction, settings)

    @app_commands.command(name="skills", description=_(SKILLS_DESC))
    @app_commands.describe(skills=_(SKILLS_ARG))
    async def skills(self, interaction: discord.Interaction[Any], skills: str) -> None:
        """Limit the skills (within ``BOTCORE_SKILLS``)."""
        guild = await self._begin(interaction)
        if guild is None:
            return
        values = parse_change(f"skills {skills}", {}, guild)[0]
        if values is None:
            await self._reply(interaction, BAD_SKILLS.render(
                _locale(interaction), value=skills, skills=", ".join(SKILLS)))
            return
        await self._done(interaction, await self.runner.guild_settings.update(guild, values))

    @app_commands.command(name="memory", description=_(MEMORY_SCOPE))
    async def memory(self, interaction: discord.Interaction[Any], scope: Literal["user", "shared"]) -> None:
        """Set the memory scope."""
        guild = await self._begin(interaction)
        if guild is not None:
            settings = await self.runner.guild_settings.update(guild, {"memory_scope": scope})
            await self._done(interaction, settings)


PLATFORM_COMMANDS: dict[str, Callable[[CommandRunner, registry.Command], app_commands.Group]] = {
    "settings": SettingsGroup,
}
"""The registry's commands that Discord answers itself (``Command.platform``), by name."""
