"""What a skill sees of one turn, and what it gives back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from botcore.config import Settings
from botcore.inference.payloads import ChatTurn, Understanding
from botcore.memory.base import Turn
from botcore.messages import Button, ConversationKey, IncomingMessage


class Generate(Protocol):
    """Generate a reply for chat ``messages`` (streams to the adapter when it can).

    ``live=False`` never streams: for text that is checked before anyone may see it.
    """

    def __call__(
        self,
        messages: list[ChatTurn],
        *,
        temperature: float = ...,
        max_new_tokens: int | None = ...,
        live: bool = ...,
    ) -> Awaitable[str]: ...


@dataclass(slots=True)
class TurnContext:
    """One turn as a skill sees it. ``history`` excludes the current message."""

    message: IncomingMessage
    key: ConversationKey
    text: str
    understanding: Understanding
    history: list[Turn]
    facts: list[str]
    state: Mapping[str, str]
    settings: Settings
    generate: Generate
    services: Mapping[str, Any] = field(default_factory=dict)
    summary: str | None = None


@dataclass(slots=True)
class SkillReply:
    """A skill's answer: text, optional buttons, session-state updates and metadata."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    state: dict[str, str | None] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    skill: str | None = None


SkillHandler = Callable[[TurnContext], Awaitable[SkillReply]]
