"""What commands answer and the pieces they share: parsing, /mode, bound /forget buttons, /export.

Which commands exist is declared in :mod:`botcore.dialogue.command_registry`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from botcore.config import SKILLS
from botcore.dialogue.command_registry import PRIVATE_ANSWERS
from botcore.i18n import Text
from botcore.messages import Button, IncomingMessage, OutgoingFile

GREETING = Text("Hi{name}! ", "你好{name}！")
UNKNOWN_COMMAND = Text("I don't know the command /{name}. Type /help to see what I can do.",
                       "我不认识命令 /{name}。输入 /help 看看我能做什么。")
MODE_CURRENT = Text("Current mode: {mode}. Use /mode companion|tutor|faq|assistant|auto.",
                    "当前模式：{mode}。用 /mode companion|tutor|faq|assistant|auto 切换。")
MODE_AUTO = Text("Mode: auto — I'll pick the best skill for each message.",
                 "模式：auto（自动）——我会为每条消息选择最合适的技能。")
MODE_UNKNOWN = Text("Unknown mode {mode}. Choose one of: {choices}, auto.",
                    "没有 {mode} 这个模式。请从这些里选：{choices}, auto。")
MODE_PINNED = Text("Mode pinned to {mode}. Use /mode auto to let me choose again.",
                   "模式已固定为 {mode}。用 /mode auto 让我重新自动选择。")
FORGET_CONFIRM = Text(
    "This erases everything I store about you: messages, memories, quiz scores and settings. "
    "It cannot be undone. Are you sure?",
    "这会删除我保存的关于你的一切：消息、记忆、测验成绩和设置，而且无法恢复。你确定吗？")
FORGET_YES = Text("Yes, erase everything", "确定，全部删除")
FORGET_NO = Text("Cancel", "取消")


@dataclass(slots=True)
class CommandResult:
    """What a command answers: text, optional buttons or file."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    file: OutgoingFile | None = None
    private: bool = False
    """Only the requester may see it: asked in a group, it is delivered privately."""


PRIVATE_COMMANDS = PRIVATE_ANSWERS
"""Commands whose answers only the requester may see (sent privately when asked in a group);
declared in :mod:`botcore.dialogue.command_registry`."""


def is_private_command(text: str) -> bool:
    """True for text that runs one of :data:`PRIVATE_COMMANDS` (adapters answer it privately,
    e.g. Discord defers such a slash command ephemerally)."""
    return text.lstrip().startswith("/") and parse_command(text)[0] in PRIVATE_COMMANDS


CommandFunc = Callable[[IncomingMessage, str], Awaitable[CommandResult]]


def parse_command(text: str) -> tuple[str, str]:
    """``"/Mode@MyBot tutor"`` → ``("mode", "tutor")``."""
    head, _, args = text.strip().partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    return name, args.strip()


def mode_reply(args: str, current: str | None,
               lang: str | None = None) -> tuple[str | None, str]:
    """Validate a /mode argument: (new pinned mode or None for auto, reply text in ``lang``)."""
    choice = args.lower().strip()
    if not choice:
        return current, MODE_CURRENT.render(lang, mode=current or "auto")
    if choice == "auto":
        return None, MODE_AUTO.render(lang)
    if choice not in SKILLS:
        return current, MODE_UNKNOWN.render(lang, mode=repr(choice), choices=", ".join(SKILLS))
    return choice, MODE_PINNED.render(lang, mode=choice)


FORGET_BUTTON_TTL_S = 600
"""How long a /forget confirmation's buttons work."""


def owner_tag(user_ref: str) -> str:
    """A short tag binding button data to the user who asked (not their id: data is visible)."""
    return hashlib.blake2b(user_ref.encode("utf-8", "replace"), digest_size=6).hexdigest()


def bound_button(label: str, action: str, user_ref: str, ttl_s: float = FORGET_BUTTON_TTL_S,
                 now: float | None = None) -> Button:
    """A button only ``user_ref`` can press, until ``ttl_s`` from now: ``ACTION:TAG:EXPIRY``."""
    expires = int((now if now is not None else time.time()) + ttl_s)
    return Button(label, f"{action}:{owner_tag(user_ref)}:{expires:x}")


def check_bound(data: str, action: str, user_ref: str, now: float | None = None) -> str | None:
    """Why a bound button press is refused (``"expired"``, ``"not yours"``), or None if valid.
    Data of another action (or unbound, old-style data) is ``"expired"``."""
    head, _, rest = data.rpartition(":")
    act, _, tag = head.rpartition(":")
    if act != action or not rest or not tag:
        return "expired"
    try:
        expires = int(rest, 16)
    except ValueError:
        return "expired"
    if not hmac.compare_digest(tag, owner_tag(user_ref)):
        return "not yours"
    if expires < (now if now is not None else time.time()):
        return "expired"
    return None


def forget_confirmation(user_ref: str, lang: str | None = None) -> CommandResult:
    """Ask before erasing anything; the buttons work only for ``user_ref``, for 10 minutes."""
    return CommandResult(
        FORGET_CONFIRM.render(lang),
        buttons=((bound_button(FORGET_YES.render(lang), "forget:yes", user_ref),
                  bound_button(FORGET_NO.render(lang), "forget:no", user_ref)),),
        private=True,
    )


def export_file(user_ref: str, data: Mapping[str, object]) -> OutgoingFile:
    """The /export JSON file."""
    payload = {"format": "botcore-export/1", "user_ref": user_ref, **data}
    safe = user_ref.replace(":", "_").replace("/", "_")
    return OutgoingFile(f"botcore-export-{safe}.json",
                        json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8"))
