"""Slash commands: /start /help /mode /reset /forget /export /memory /hint /feedback …"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from botcore.config import SKILLS
from botcore.messages import Button, IncomingMessage, OutgoingFile

HELP = """Here is what I can do:
• chat with you and remember what you tell me (companion)
• explain things step by step, quiz you, or give hints (tutor)
• answer questions from our knowledge base (faq)
• answer general questions and write poems, stories and code (assistant)

Commands:
/mode companion|tutor|faq|assistant|auto — pin a skill, or let me choose
/hint on|off — homework mode: hints instead of answers
/quiz TOPIC — a short quiz (math, science, geography, programming, history)
/progress — your quiz scores
/link — share one memory between your Telegram and Discord accounts
/consent on|off — allow (or not) your chats to help train the bot
/reset — start a fresh conversation
/memory — what I remember about you (/memory delete N to remove one)
/export — download everything I store about you
/forget — erase everything I store about you
/help — this message"""

UNKNOWN_COMMAND = "I don't know the command /{name}. Type /help to see what I can do."


@dataclass(slots=True)
class CommandResult:
    """What a command answers: text, optional buttons or file."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    file: OutgoingFile | None = None


CommandFunc = Callable[[IncomingMessage, str], Awaitable[CommandResult]]


def parse_command(text: str) -> tuple[str, str]:
    """``"/Mode@MyBot tutor"`` → ``("mode", "tutor")``."""
    head, _, args = text.strip().partition(" ")
    name = head[1:].split("@", 1)[0].lower()
    return name, args.strip()


def mode_reply(args: str, current: str | None) -> tuple[str | None, str]:
    """Validate a /mode argument: (new pinned mode or None for auto, reply text)."""
    choice = args.lower().strip()
    if not choice:
        shown = current or "auto"
        return current, f"Current mode: {shown}. Use /mode companion|tutor|faq|assistant|auto."
    if choice == "auto":
        return None, "Mode: auto — I'll pick the best skill for each message."
    if choice not in SKILLS:
        return current, (f"Unknown mode {choice!r}. Choose one of: "
                         f"{', '.join(SKILLS)}, auto.")
    return choice, f"Mode pinned to {choice}. Use /mode auto to let me choose again."


def forget_confirmation() -> CommandResult:
    """Ask before erasing anything."""
    return CommandResult(
        "This erases everything I store about you: messages, memories, quiz scores and settings. "
        "It cannot be undone. Are you sure?",
        buttons=((Button("Yes, erase everything", "forget:yes"), Button("Cancel", "forget:no")),),
    )


def export_file(user_ref: str, data: dict[str, object]) -> OutgoingFile:
    """The /export JSON file."""
    payload = {"format": "botcore-export/1", "user_ref": user_ref, **data}
    safe = user_ref.replace(":", "_").replace("/", "_")
    return OutgoingFile(f"botcore-export-{safe}.json",
                        json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8"))
