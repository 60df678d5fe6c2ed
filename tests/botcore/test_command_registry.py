"""One command registry (#15): ``/help``, ``/admin help``, the Telegram menu (as PTB sends it), the
Discord slash commands (as ``tree.sync`` uploads them) and the router all agree with
:mod:`botcore.dialogue.command_registry`, and every command speaks both languages."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from adapters.base import HandlerRuntime
from adapters.discord.commands import install_commands
from adapters.discord.i18n import CatalogTranslator
from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.bot import build_bot
from botcore.admin.chat_commands import AdminContext, handle_admin_command
from botcore.dialogue import command_registry as registry
from botcore.dialogue.command_registry import Where
from botcore.dialogue.commands import PRIVATE_COMMANDS, UNKNOWN_COMMAND, is_private_command
from botcore.messages import ChatType, IncomingMessage
from botcore.runtime import Runtime, open_runtime
from tests.adapters import telegram_payloads as p
from tests.adapters.fake_bot_api import FakeBotApi, RecordingRequest, ScriptedHandler, UserFlagsRecorder
from tests.conftest import make_settings

MENU = [c.name for c in registry.menu()]
LANGS = ("en", "zh")
DISCORD_ONLY = ["ask"]  # /ask sends its text as an ordinary message: not a command of the bot


def _texts(command: registry.Command) -> list[Any]:
    arg = command.argument
    return [command.summary, command.details, *((arg.usage, arg.description) if arg else ())]


def test_every_command_is_declared_once_in_both_languages_within_platform_limits() -> None:
    names = [c.name for c in registry.COMMANDS]
    assert len(names) == len(set(names))
    assert len(registry.ADMIN_NAMES) == len(registry.ADMIN_SUBCOMMANDS)
    for command in registry.COMMANDS:
        assert re.fullmatch(r"[a-z][a-z0-9_]{0,31}", command.name), command.name  # Telegram + Discord
        for text in filter(None, _texts(command)):
            assert text.en.strip() and text.zh.strip()
        assert command.summary.en != command.summary.zh  # translated, not copied
        assert 3 <= len(command.summary.en) <= 100 and 1 <= len(command.summary.zh) <= 100
        assert (command.key is None) == command.platform
        if command.argument is not None:
            assert re.fullmatch(r"[a-z][a-z0-9_]{0,31}", command.argument.name)
            assert len(command.argument.description.en) <= 100
    for sub in registry.ADMIN_SUBCOMMANDS:
        assert sub.summary.en.strip() and sub.summary.zh.strip()
    assert PRIVATE_COMMANDS == {"memory", "export", "forget", "link", "unlink"}
    assert is_private_command("/Export@MyBot") and not is_private_command("/help")


def _listed(help_text: str) -> list[str]:
    return [line.split()[0].removeprefix("/") for line in help_text.splitlines()
            if line.startswith("/")]


@pytest.mark.parametrize("lang", LANGS)
def test_help_lists_every_menu_command_in_the_users_language(lang: str) -> None:
    text = registry.help_text(lang)
    assert _listed(text) == MENU
    for command in registry.menu():
        assert command.summary.get(lang) in text
    assert not {"admin", "reply", "resolve", "escalations"} & set(_listed(text))
    assert _listed(registry.admin_help_text(lang)) == ["admin"] * len(registry.ADMIN_SUBCOMMANDS)
    assert [line.split()[1] for line in registry.admin_help_text(lang).splitlines()[1:]] == [
        s.name for s in registry.ADMIN_SUBCOMMANDS]


# the router -----------------------------------------------------------------------------------

def _message(text: str, user: str, *, group: bool = False, language: str | None = None,
             platform: str = "test") -> IncomingMessage:
    return IncomingMessage(platform=platform, message_id=uuid.uuid4().hex,
                           chat_id="-77" if group else user, user_id=user, text=text,
                           chat_type=ChatType.GROUP if group else ChatType.PRIVATE,
                           language=language)


@pytest.fixture
async def rt(tmp_path: Path) -> Any:
    async with open_runtime(make_settings(tmp_path, admin_ids="telegram:1")) as runtime:
        yield runtime


async def _ask(rt: Runtime, text: str, **kw: Any) -> Any:
    (reply,) = await rt.manager.handle(_message(text, kw.pop("user", uuid.uuid4().hex[:8]), **kw))
    await rt.manager.aclose()
    return reply


async def test_the_router_dispatches_exactly_the_declared_commands(rt: Runtime) -> None:
    router = rt.manager.commands
    routed = {c.key for c in registry.COMMANDS if c.key}
    assert set(router._handlers) == routed
    for command in registry.COMMANDS:
        reply = await _ask(rt, f"/{command.name}")
        unknown = UNKNOWN_COMMAND.render("en", name=command.name)
        assert (reply.text == unknown) == command.platform, command.name  # the adapter answers it
    assert (await _ask(rt, "/frobnicate")).text == UNKNOWN_COMMAND.render("en", name="frobnicate")
    assert (await _ask(rt, "/help", language="zh-CN")).text == registry.help_text("zh")
    start = (await _ask(rt, "/start")).text
    assert start.startswith("Hi") and start.endswith(registry.help_text("en"))


@pytest.mark.parametrize("name", [c.name for c in registry.COMMANDS if c.private])
async def test_private_commands_are_answered_privately_from_the_registry(
        rt: Runtime, name: str) -> None:
    reply = await _ask(rt, f"/{name}", group=True)
    spec = registry.find(name)
    assert spec is not None
    if spec.where is Where.PRIVATE:  # asked in a group: a public refusal, nothing private in it
        assert reply.private is None and "private chat" in reply.text
    else:
        assert reply.private is not None
    assert (await _ask(rt, "/progress", group=True)).private is None


async def test_admin_help_and_dispatch_follow_the_registry(rt: Runtime) -> None:
    deps = AdminContext(rt.settings, rt.long_term, rt.short_term)  # type: ignore[arg-type]
    boss = _message("/admin", "1", platform="telegram")
    assert await handle_admin_command(deps, boss, "help") == registry.admin_help_text("en")
    for sub in registry.ADMIN_SUBCOMMANDS:
        assert "unknown admin command" not in await handle_admin_command(deps, boss, sub.name)
    assert "unknown admin command" in await handle_admin_command(deps, boss, "selfdestruct")


# Telegram -------------------------------------------------------------------------------------

async def test_the_telegram_menu_sent_through_ptb_is_the_registry(tmp_path: Path) -> None:
    api = FakeBotApi()
    request = RecordingRequest(api)
    bot = build_bot(p.TOKEN, request=request, get_updates_request=request)
    adapter = TelegramAdapter(HandlerRuntime(make_settings(tmp_path, telegram_token=p.TOKEN),
                                             ScriptedHandler()),
                              users=UserFlagsRecorder(), bot=bot, outbox=False)
    await adapter.start()
    try:
        english, chinese = api.of("setMyCommands")
        assert "language_code" not in english.params and chinese.params["language_code"] == "zh"
        for call, lang in ((english, "en"), (chinese, "zh")):
            sent = [(c["command"], c["description"]) for c in call.params["commands"]]
            assert sent == [(c.name, c.summary.get(lang)) for c in registry.menu()]
    finally:
        await adapter.bot.shutdown()


# Discord --------------------------------------------------------------------------------------

class RecordingRunner:
    """Stands in for the client: records what each slash command runs."""

    guild_settings: Any = None

    def __init__(self) -> None:
        self.ran: list[tuple[str, bool]] = []

    async def run_command(self, interaction: Any, text: str, *, ephemeral: bool) -> None:
        self.ran.append((text, ephemeral))


async def test_the_discord_slash_commands_are_the_registry() -> None:
    client = discord.Client(intents=discord.Intents.none())
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    runner = RecordingRunner()
    install_commands(tree, runner)
    await tree.set_translator(CatalogTranslator())
    assert tree.translator is not None
    synced = {c.name: await c.get_translated_payload(tree, tree.translator)
              for c in tree.get_commands()}
    assert list(synced) == DISCORD_ONLY + MENU
    for spec in registry.menu():
        payload = synced[spec.name]
        assert payload["description"] == spec.summary.en
        assert payload["description_localizations"] == {"zh-CN": spec.summary.zh}
        if spec.platform:
            continue
        arg = spec.argument
        options = payload["options"]
        assert len(options) == (arg is not None)
        command = tree.get_command(spec.name)
        assert isinstance(command, app_commands.Command)
        if arg is None:
            await command.callback(None)  # type: ignore[call-arg, arg-type]
            expected = f"/{spec.name}"
        else:
            (option,) = options
            assert (option["name"], option["required"]) == (arg.name, arg.required)
            assert option["description_localizations"] == {"zh-CN": arg.description.zh}
            assert [c["value"] for c in option.get("choices", [])] == list(arg.choices)
            value = arg.choices[0] if arg.choices else "x y"
            await command.callback(None, value)  # type: ignore[call-arg, arg-type]
            expected = f"/{spec.name} {value}"
        assert runner.ran[-1] == (expected, spec.private or spec.quiet)
    await client.close()
