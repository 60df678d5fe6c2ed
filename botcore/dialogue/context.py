"""What a skill sees of one turn, and what it gives back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from botcore.config import Settings
from botcore.faq.index import FaqAnswer
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


class FaqSearch(Protocol):
    """Search the knowledge base (:class:`botcore.faq.index.FaqIndex` is one)."""

    async def search(self, question: str) -> FaqAnswer:
        """The best entry for ``question`` and how sure the search is."""
        ...


@dataclass(frozen=True, slots=True)
class SkillServices:
    """What a skill may use beyond the turn itself."""

    faq_index: FaqSearch | None = None
    """The knowledge base, when one is loaded."""
    faq_hit: FaqAnswer | None = None
    """The knowledge-base match found while routing this turn, if any (saves a second search)."""
    injection: bool = False
    """The safety screen took this message for a prompt-injection attempt."""


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
    services: SkillServices = field(default_factory=SkillServices)
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
