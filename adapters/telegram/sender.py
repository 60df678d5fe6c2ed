"""The send path: rendered parts, files and buttons to Bot API calls, with Telegram's failure modes.

- HTML that Telegram cannot parse (400 "can't parse entities") is resent as plain text;
- "message is not modified" on an edit is success; a streamed message that vanished is re-sent;
- ``Forbidden`` in a private chat means the user blocked the bot: they are marked inactive and the
  rest of the turn is dropped (:class:`RecipientGone`);
- a group upgraded to a supergroup (``ChatMigrated``) is retried at its new id;
- ``RetryAfter`` is waited out by :class:`~adapters.telegram.ratelimit.ChatRateLimiter`; if it
  persists, or the network fails, the part is logged and dropped (never re-sent blindly, so a
  timed-out call that did reach Telegram is not answered twice).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Protocol

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyParameters,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from adapters.telegram.markup import RenderedPart
from adapters.telegram.normalize import PLATFORM
from botcore.errors import AdapterError
from botcore.messages import Button

log = logging.getLogger(__name__)

CALLBACK_DATA_MAX_BYTES = 64


class UserFlags(Protocol):
    """The part of long-term memory the adapter needs (see ``LongTermMemory.set_user_flags``)."""

    async def set_user_flags(
        self,
        platform: str,
        platform_user_id: str,
        *,
        blocked: bool | None = None,
        active: bool | None = None,
        consent_training: bool | None = None,
    ) -> bool:
        """Update a user's flags; False if no such user."""
        ...


class RecipientGone(AdapterError):
    """The chat cannot receive messages any more (bot blocked, kicked, or chat deleted)."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where a reply goes."""

    chat_id: int
    thread_id: int | None = None
    reply_to: int | None = None
    user_id: str | None = None
    private: bool = True


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Inline keyboard for ``rows``; buttons whose data exceeds Telegram's 64 bytes are dropped."""
    out: list[list[InlineKeyboardButton]] = []
    for row in rows:
        buttons = []
        for b in row:
            if len(b.data.encode("utf-8")) > CALLBACK_DATA_MAX_BYTES:
                log.warning("dropping button %r: callback data over 64 bytes", b.label)
                continue
            buttons.append(InlineKeyboardButton(b.label[:64] or "·", callback_data=b.data))
        if buttons:
            out.append(buttons)
    return InlineKeyboardMarkup(out) if out else None


def _is_parse_error(exc: BadRequest) -> bool:
    """Telegram refused our entities ("can't parse entities", "too many entities"…)."""
    return "entit" in exc.message.lower()


class Sender:
    """Makes the Bot API calls of one adapter and handles their errors."""

    def __init__(self, bot: Bot, users: UserFlags | None = None) -> None:
        self.bot = bot
        self.users = users

    async def _gone(self, target: Target, exc: TelegramError) -> RecipientGone:
        if target.private and target.user_id is not None and self.users is not None:
            try:
                await self.users.set_user_flags(PLATFORM, target.user_id, active=False)
            except Exception:  # flagging is best effort; the send already failed
                log.exception("could not mark telegram user %s inactive", target.user_id)
        log.info("telegram chat %s unreachable: %s", target.chat_id, exc.message)
        return RecipientGone(f"chat {target.chat_id}: {exc.message}")

    async def send_part(
        self,
        target: Target,
        part: RenderedPart,
        markup: InlineKeyboardMarkup | None = None,
        *,
        reply: bool = True,
    ) -> Message | None:
        """Send one part as HTML (plain text if Telegram refuses the HTML); None if it failed.

        Raises:
            RecipientGone: the user blocked the bot or the bot left the chat.
        """
        try:
            return await self.post_part(target, part, markup, reply=reply)
        except BadRequest as exc:
            log.error("sendMessage to %s refused: %s", target.chat_id, exc.message)
        except TelegramError as exc:
            log.error("sendMessage to %s failed: %s", target.chat_id, exc.message)
        return None

    async def post_part(
        self,
        target: Target,
        part: RenderedPart,
        markup: InlineKeyboardMarkup | None = None,
        *,
        reply: bool = True,
    ) -> Message:
        """:meth:`send_part` that raises instead of logging (the outbox needs to know why).

        Raises:
            RecipientGone: the user blocked the bot or the bot left the chat.
            telegram.error.TelegramError: anything else, e.g. ``RetryAfter`` once the rate
                limiter gave up waiting, ``BadRequest`` ("chat not found"), ``NetworkError``.
        """
        html_first = True
        while True:
            try:
                return await self.bot.send_message(
                    chat_id=target.chat_id,
                    text=part.html if html_first else part.plain,
                    parse_mode=ParseMode.HTML if html_first else None,
                    message_thread_id=target.thread_id,
                    reply_parameters=ReplyParameters(target.reply_to, allow_sending_without_reply=True)
                    if reply and target.reply_to is not None
                    else None,
                    reply_markup=markup,
                )
            except BadRequest as exc:
                if html_first and _is_parse_error(exc):
                    log.warning("Telegram refused our HTML (%s); sending plain text", exc.message)
                    html_first = False
                    continue
                raise
            except ChatMigrated as exc:
                target = replace(target, chat_id=exc.new_chat_id)
            except Forbidden as exc:
                raise await self._gone(target, exc) from exc

    async def edit_part(
        self,
        target: Target,
        message_id: int,
        part: RenderedPart,
        markup: InlineKeyboardMarkup | None = None,
    ) -> bool:
        """Replace the text of one of our messages; False if it could not be edited.

        Raises:
            RecipientGone: the user blocked the bot or the bot left the chat.
        """
        html_first = True
        while True:
            try:
                await self.bot.edit_message_text(
                    chat_id=target.chat_id,
                    message_id=message_id,
                    text=part.html if html_first else part.plain,
                    parse_mode=ParseMode.HTML if html_first else None,
                    reply_markup=markup,
                )
                return True
            except BadRequest as exc:
                text = exc.message.lower()
                if "not modified" in text:
                    return True
                if html_first and _is_parse_error(exc):
                    log.warning("Telegram refused our HTML (%s); editing as plain", exc.message)
                    html_first = False
                    continue
                log.warning("editMessageText in %s refused: %s", target.chat_id, exc.message)
                return False
            except Forbidden as exc:
                raise await self._gone(target, exc) from exc
            except TelegramError as exc:
                log.warning("editMessageText in %s failed: %s", target.chat_id, exc.message)
                return False

    async def send_file(
        self,
        target: Target,
        filename: str,
        content: bytes,
        markup: InlineKeyboardMarkup | None = None,
    ) -> Message | None:
        """Send a document; None if it failed.

        Raises:
            RecipientGone: the user blocked the bot or the bot left the chat.
        """
        try:
            return await self.bot.send_document(
                chat_id=target.chat_id,
                document=InputFile(content, filename=filename),
                message_thread_id=target.thread_id,
                reply_markup=markup,
            )
        except Forbidden as exc:
            raise await self._gone(target, exc) from exc
        except TelegramError as exc:
            log.error("sendDocument to %s failed: %s", target.chat_id, exc.message)
            return None

    async def typing(self, target: Target) -> None:
        """Show "typing…" in the chat (best effort)."""
        try:
            await self.bot.send_chat_action(
                chat_id=target.chat_id, action=ChatAction.TYPING, message_thread_id=target.thread_id
            )
        except Forbidden as exc:
            raise await self._gone(target, exc) from exc
        except TelegramError as exc:
            log.debug("sendChatAction failed: %s", exc.message)

    async def answer_callback(self, query_id: str) -> None:
        """Stop the button's spinner (best effort: a stale query cannot be answered)."""
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as exc:
            log.debug("answerCallbackQuery failed: %s", exc.message)
