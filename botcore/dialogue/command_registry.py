"""Every chat command, declared once: name, summary in every language, where it is allowed, its
argument and the handler that answers it.

Everything that lists commands is generated from :data:`COMMANDS` and :data:`ADMIN_SUBCOMMANDS`:
``/help`` (:func:`help_text`), ``/admin help`` (:func:`admin_help_text`), the Telegram command menu
(``adapters.telegram.bot.commands``), the Discord slash commands
(``adapters.discord.commands.install_commands``), and the command router dispatches by
:attr:`Command.handler` (:mod:`botcore.dialogue.command_router`). A test proves they all agree.

Imports nothing from the dialogue package: adapters read it without loading the dialogue manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from botcore.config import SKILLS
from botcore.i18n import Text


class Where(StrEnum):
    """Where a command may be used, and so which menus show it."""

    EVERYWHERE = "everywhere"
    """Private chats and groups."""
    PRIVATE = "private"
    """Private chats only: asked in a group, the handler refuses publicly (nothing secret in it)."""
    GROUPS = "groups"
    """Groups only (per-group settings, for the group's admins)."""
    STAFF = "staff"
    """The support staff (see :mod:`botcore.handoff`); in no menu."""
    ADMIN = "admin"
    """The users in ``BOTCORE_ADMIN_IDS``; in no menu."""


MENU_SCOPES = frozenset({Where.EVERYWHERE, Where.PRIVATE, Where.GROUPS})
"""Scopes whose commands appear in ``/help`` and in the platforms' command menus."""


@dataclass(frozen=True, slots=True)
class Argument:
    """The one free-text argument a command takes (a Discord slash option)."""

    name: str
    """The option's name on Discord (lowercase ASCII)."""
    usage: Text
    """How ``/help`` writes it (``TOPIC`` / ``主题``)."""
    description: Text
    """What to type, for the Discord option."""
    required: bool = False
    choices: tuple[str, ...] = ()
    """The only values allowed (offered as choices on Discord), in order; empty: free text."""


@dataclass(frozen=True, slots=True)
class Command:
    """One chat command, ``/name [argument]``."""

    name: str
    summary: Text
    """One line (at most 100 characters) for ``/help`` and every command menu."""
    where: Where = Where.EVERYWHERE
    argument: Argument | None = None
    private: bool = False
    """Its answer is for the requester only: asked in a group, it is delivered privately (a
    Telegram DM, a Discord ephemeral reply)."""
    quiet: bool = False
    """Its answer concerns only the caller: a platform that can show an answer to the caller
    alone without leaving the chat (Discord's ephemeral replies) does so."""
    handler: str | None = None
    """The router's handler key (default: the name); None when ``platform`` is set."""
    platform: bool = False
    """Answered by each platform adapter (e.g. Telegram's ``/settings`` via ``getChatMember``,
    Discord's ``/settings`` slash group), never by the router."""
    details: Text | None = None
    """Said right after the summary in ``/help`` only (starts with its own space if any)."""

    @property
    def key(self) -> str | None:
        """The router's handler for this command (None: a platform adapter answers it)."""
        return None if self.platform else (self.handler or self.name)


@dataclass(frozen=True, slots=True)
class Subcommand:
    """One ``/admin NAME [usage]`` command (admins only, audited)."""

    name: str
    summary: Text
    usage: Text | None = None


_ON_OFF = ("on", "off")

COMMANDS: tuple[Command, ...] = (
    Command("start", Text("Say hello and see what I can do", "打个招呼，看看我能做什么"),
            quiet=True),
    Command("help", Text("What I can do", "我能做什么"), quiet=True),
    Command("mode", Text("Pin a skill for this conversation (auto: I choose)",
                         "为这段对话固定一种技能（auto：由我选择）"),
            argument=Argument("skill", Text("companion|tutor|faq|assistant|auto",
                                            "companion|tutor|faq|assistant|auto"),
                              Text("companion, tutor, faq, assistant, or auto",
                                   "companion、tutor、faq、assistant 或 auto"),
                              required=True, choices=("auto", *SKILLS))),
    Command("hint", Text("Homework mode: hints instead of answers", "作业模式：只给提示，不给答案"),
            argument=Argument("switch", Text("on|off", "on|off"),
                              Text("on: hints only (the default); off: full explanations",
                                   "on：只给提示（默认）；off：完整讲解"), choices=_ON_OFF)),
    Command("quiz", Text("Quiz me on a topic", "来一个某个主题的小测验"),
            argument=Argument("topic", Text("TOPIC", "主题"),
                              Text("What the quiz is about", "测验的主题")),
            details=Text(" (math, percentages, fractions, equations, units, powers, science, "
                         "geography, programming, history)",
                         "（math 数学、百分数、分数、方程、单位换算、乘方、science 科学、"
                         "geography 地理、programming 编程、history 历史）")),
    Command("progress", Text("Your quiz scores", "你的测验成绩")),
    Command("faq", Text("Ask the knowledge base", "在知识库里提问"),
            argument=Argument("question", Text("QUESTION", "问题"),
                              Text("Your question for the knowledge base", "要问知识库的问题"))),
    Command("reset", Text("Start a fresh conversation", "开始一段新的对话")),
    Command("memory", Text("What I remember about you", "我记得的关于你的事"), private=True,
            details=Text(" (/memory delete N removes one)", "（/memory delete N 删除其中一条）")),
    Command("export", Text("Get everything I store about you as a JSON file",
                           "以 JSON 文件获取我保存的关于你的一切"), private=True),
    Command("forget", Text("Erase everything I store about you", "删除我保存的关于你的一切"),
            private=True),
    Command("link", Text("Share one memory between your Telegram and Discord accounts",
                         "让你的 Telegram 和 Discord 账号共用一份记忆"),
            where=Where.PRIVATE, private=True,
            argument=Argument("code", Text("[CODE]", "[关联码]"),
                              Text("The code from your other account (empty: get a code)",
                                   "另一个账号给你的关联码（留空：获取关联码）"))),
    Command("unlink", Text("Stop sharing memory with your other accounts",
                           "不再与你的其他账号共用记忆"), private=True),
    Command("consent", Text("Allow (or not) your chats to help train the bot",
                            "允许（或不允许）用你的对话来训练机器人"),
            argument=Argument("choice", Text("on|off", "on|off"),
                              Text("on: allow; off: stop (empty: show the current choice)",
                                   "on：允许；off：停止（留空：查看当前选择）"), choices=_ON_OFF)),
    Command("feedback", Text("Tell the team what you think", "告诉团队你的想法")),
    Command("human", Text("Talk to a person from the team", "转人工：联系团队的工作人员"),
            argument=Argument("message", Text("[MESSAGE]", "[留言]"),
                              Text("What you need help with", "你需要什么帮助"))),
    Command("settings", Text("Group or server settings (for its admins)", "群组或服务器设置（管理员使用）"),
            where=Where.GROUPS, platform=True),
    Command("escalations", Text("Open questions waiting for a human", "等待人工处理的问题"),
            where=Where.STAFF, handler="staff"),
    Command("reply", Text("Answer an escalation", "回复一个转人工的问题"), where=Where.STAFF,
            handler="staff", argument=Argument("text", Text("ID TEXT", "ID 文本"),
                                               Text("The escalation and your answer",
                                                    "问题编号和你的回答"), required=True)),
    Command("resolve", Text("Close an escalation without answering",
                            "不回复，直接关闭一个转人工的问题"), where=Where.STAFF,
            handler="staff", argument=Argument("id", Text("ID", "ID"),
                                               Text("The escalation", "问题编号"),
                                               required=True)),
    Command("admin", Text("Administration (BOTCORE_ADMIN_IDS only): /admin help",
                          "管理命令（仅限 BOTCORE_ADMIN_IDS）：/admin help"),
            where=Where.ADMIN, argument=Argument("command", Text("COMMAND", "命令"),
                                                 Text("An admin command", "一条管理命令"))),
)
"""Every chat command, in the order menus and ``/help`` list them."""

ADMIN_SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("stats", Text("usage statistics for a window (default 7d)",
                             "一段时间内的使用统计（默认 7d）"), Text("[7d]", "[7d]")),
    Subcommand("broadcast", Text("send an announcement to every active user",
                                 "向所有活跃用户发送公告"),
               Text("all|telegram|discord TEXT", "all|telegram|discord 文本")),
    Subcommand("status", Text("delivery counts of a broadcast", "一次广播的送达情况"),
               Text("ID", "ID")),
    Subcommand("escalations", Text("open questions waiting for a human", "等待人工处理的问题")),
    Subcommand("reply", Text("answer an escalation (the user gets it from the bot)",
                             "回复一个转人工的问题（用户会从机器人那里收到）"),
               Text("ID TEXT", "ID 文本")),
    Subcommand("resolve", Text("close an escalation without answering",
                               "不回复，直接关闭一个转人工的问题"), Text("ID", "ID")),
    Subcommand("user", Text("what is stored about a user (platform:user_id or a name)",
                            "查看保存的某个用户的数据（platform:user_id 或名字）"),
               Text("USER", "用户")),
    Subcommand("block", Text("pause the bot for a user", "暂停某个用户的机器人服务"),
               Text("USER", "用户")),
    Subcommand("unblock", Text("resume the bot for a user", "恢复某个用户的机器人服务"),
               Text("USER", "用户")),
    Subcommand("help", Text("this list", "显示这份列表")),
)
"""Every ``/admin`` subcommand, in the order ``/admin help`` lists them."""

HELP_INTRO = Text("""Here is what I can do:
• chat with you and remember what you tell me (companion)
• explain things step by step, quiz you, or give hints (tutor)
• answer questions from our knowledge base (faq)
• answer general questions and write poems, stories and code (assistant)

Commands:""", """我可以做这些事：
• 陪你聊天，并记住你告诉我的事情（companion 陪伴）
• 一步步讲解、给你出题测验或者给提示（tutor 辅导）
• 根据我们的知识库回答问题（faq 常见问题）
• 回答一般问题，写诗、写故事、写代码（assistant 助手）

命令：""")
ADMIN_HELP_INTRO = Text("Admin commands:", "管理命令：")

_BY_NAME = {c.name: c for c in COMMANDS}
ADMIN_NAMES = frozenset(s.name for s in ADMIN_SUBCOMMANDS)
"""The ``/admin`` subcommands."""
PRIVATE_ANSWERS = frozenset(c.name for c in COMMANDS if c.private)
"""Commands whose answers only the requester may see."""


def find(name: str) -> Command | None:
    """The command called ``name`` (lowercase, without the slash), or None."""
    return _BY_NAME.get(name)


def menu() -> tuple[Command, ...]:
    """The commands users may see: ``/help`` and every platform's command menu list these."""
    return tuple(c for c in COMMANDS if c.where in MENU_SCOPES)


def help_line(command: Command, lang: str | None) -> str:
    """``/quiz TOPIC — Quiz me on a topic (…)`` in ``lang``."""
    usage = f" {command.argument.usage.render(lang)}" if command.argument else ""
    details = command.details.render(lang) if command.details else ""
    return f"/{command.name}{usage} — {command.summary.render(lang)}{details}"


def help_text(lang: str | None) -> str:
    """The ``/help`` answer in ``lang``: what the bot does, then every command of :func:`menu`."""
    return "\n".join([HELP_INTRO.render(lang), *(help_line(c, lang) for c in menu())])


def admin_help_text(lang: str | None) -> str:
    """The ``/admin help`` answer in ``lang``."""
    lines = [ADMIN_HELP_INTRO.render(lang)]
    for sub in ADMIN_SUBCOMMANDS:
        usage = f" {sub.usage.render(lang)}" if sub.usage else ""
        lines.append(f"/admin {sub.name}{usage} — {sub.summary.render(lang)}")
    return "\n".join(lines)
