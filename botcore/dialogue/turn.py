"""The turn being answered: one typed object the stages of the pipeline read and write.

A :class:`Turn` starts as the incoming message and gathers what the stages learn about it (the
conversation key, the cleaned text, the session state, the understanding, the chosen skill, the
answer) until it holds the replies. This module also keeps the fixed texts several stages send
and how a notice is made. It imports nothing from the dialogue package, so every other module of
it may import this one (ARCHITECTURE §3).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from botcore.config import Settings
from botcore.faq.index import FaqAnswer
from botcore.i18n import Text, language_of
from botcore.inference.payloads import Understanding
from botcore.memory.base import ChatSettings, StoredMessage
from botcore.memory.base import Turn as Said
from botcore.messages import (
    Button,
    ChatType,
    ConversationKey,
    IncomingMessage,
    OutgoingMessage,
    PrivateDelivery,
)
from botcore.safety import Verdict

LANG = "lang"
"""Session-state field: the conversation's language (kept for messages without one, "12+5")."""
STORAGE_DOWN = Text("Sorry, I can't reach my memory right now. Please send that again in a minute — "
                    "nothing you sent was lost.",
                    "抱歉，我现在无法访问我的记忆。请一分钟后再发一次——你发的内容没有丢失。")
MODEL_DOWN = Text("Sorry, I'm having trouble thinking right now. Please try again in a moment.",
                  "抱歉，我现在有点想不过来。请稍后再试。")
BLOCKED = Text("An administrator has paused this bot for your account.",
               "管理员已暂停了你账户的机器人服务。")
SENT_PRIVATELY = Text("I sent it to you privately.", "我已私下发给你了。")
NO_PRIVATE_CHAT = Text("I can't message you privately yet: open a private chat with me (press "
                       "Start, or allow direct messages), then ask again there.",
                       "我还不能私下给你发消息：请先和我开始私聊（点“开始”，或允许私信），"
                       "然后在那里再问一次。")


class Stream(Protocol):
    """The adapter's live view of the reply (:class:`botcore.dialogue.protocols.ReplyStream` is
    one; restated here so this module imports nothing from the dialogue package)."""

    async def update(self, text: str) -> None:
        """Show the partial reply ``text``."""
        ...

    async def notice(self, text: str) -> None:
        """Send ``text`` as a separate short message now."""
        ...


class Answer(Protocol):
    """What the turn keeps of a skill's answer (:class:`botcore.dialogue.context.SkillReply`)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...]
    state: dict[str, str | None]
    meta: dict[str, Any]
    skill: str | None


def opaque(value: str) -> str:
    """Short-term keys that outlive a /forget for a few seconds carry no user ids, only hashes."""
    return hashlib.blake2b(value.encode("utf-8", "replace"), digest_size=16).hexdigest()


def edit_suffix(message: IncomingMessage) -> str:
    """Each distinct edit of a message is a new turn; a redelivered edit is not."""
    if not message.edited:
        return ""
    return ":edit:" + hashlib.sha1(message.text.encode("utf-8", "replace")).hexdigest()[:12]


def dedupe_token(message: IncomingMessage) -> str:
    """The short-term key that claims ``message`` (its redeliveries share it)."""
    return "dedupe:" + opaque(f"{message.platform}:{message.chat_id}:{message.message_id}"
                              f"{edit_suffix(message)}")


@dataclass(slots=True, eq=False)
class Turn:
    """One message being answered, and what the stages have learned about it so far.

    A stage that answers sets :attr:`replies` and ends the turn by not calling the next stage.
    """

    message: IncomingMessage
    stream: Stream | None = None
    key: ConversationKey = field(init=False)
    """The conversation (a shared group's key once the chat's settings say so)."""
    started: float = field(default_factory=time.perf_counter)
    chat: ChatSettings = field(default_factory=lambda: ChatSettings())
    """The chat's settings (``/settings``; empty in a private chat)."""
    text: str = ""
    """The cleaned text (commands and chat messages)."""
    truncated: bool = False
    state: dict[str, str] = field(default_factory=dict)
    history: list[Said] = field(default_factory=list)
    """Recent turns of the conversation, without this message."""
    stored: StoredMessage | None = None
    """This message as recorded in SQL."""
    prefix: str = ""
    """Text put before the answer (a note from the human handoff)."""
    understanding: Understanding | None = None
    verdict: Verdict | None = None
    allowed: tuple[str, ...] = ()
    settings: Settings | None = None
    """The bot's settings as this chat sees them (its persona)."""
    faq_hit: FaqAnswer | None = None
    skill: str = ""
    facts: list[tuple[str, list[float] | None]] = field(default_factory=list)
    summary: str | None = None
    answer: Answer | None = None
    replies: list[OutgoingMessage] = field(default_factory=list)
    final: bool = True
    """False when the turn failed in a way a redelivery of the message should be answered."""

    def __post_init__(self) -> None:
        self.key = self.message.conversation_key()

    @property
    def lang(self) -> str:
        """The language to answer in: the text's script, else the message's language (within a
        turn, the conversation's)."""
        return language_of(self.message)

    @property
    def understood(self) -> Understanding:
        """The understanding, for the stages after the one that sets it."""
        if self.understanding is None:
            raise RuntimeError("the turn has not been understood yet")
        return self.understanding

    @property
    def pmid(self) -> str:
        """The platform message id this turn is stored under (an edit has its own)."""
        return self.message.message_id + edit_suffix(self.message)

    def notice(self, text: str, **extra: Any) -> OutgoingMessage:
        """A reply that is not a model answer (a command's, an error's), in this chat."""
        message = self.message
        return OutgoingMessage(text=text, chat_id=message.chat_id, thread_id=message.thread_id,
                               reply_to_message_id=message.message_id
                               if message.chat_type != "private" else None, notice=True, **extra)

    def say(self, text: str, **extra: Any) -> None:
        """End the turn with one notice."""
        self.replies = [self.notice(text, **extra)]

    def private(self, wanted: bool) -> PrivateDelivery | None:
        """How a reply meant for the user alone (``wanted``) asked in a group reaches them."""
        if not wanted or self.message.chat_type is ChatType.PRIVATE:
            return None
        return PrivateDelivery(self.message.user_id, SENT_PRIVATELY.render(self.lang),
                               NO_PRIVATE_CHAT.render(self.lang))


Next = Callable[[Turn], Awaitable[None]]
"""The rest of the pipeline, as a stage receives it (``await call_next(turn)``)."""
