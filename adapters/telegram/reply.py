"""One turn's output in a chat: typing calls, the busy notice, the streamed message, and the final
replies."""

from __future__ import annotations

import logging

from adapters.streaming import ThrottledStream
from adapters.telegram.markup import RenderedPart, render
from adapters.telegram.sender import RecipientGone, Sender, Target, keyboard
from adapters.typing_loops import Send, StopTyping
from botcore.messages import OutgoingMessage

log = logging.getLogger(__name__)

TYPING_EVERY_S = 4.5
"""Telegram shows "typing…" for 5 s or until the bot sends a message."""


def typing_call(sender: Sender, target: Target) -> Send:
    """One "typing…" call for ``target``'s chat, for :class:`~adapters.typing_loops.TypingLoops`
    (a user who blocked the bot ends the loop)."""

    async def call() -> None:
        try:
            await sender.typing(target)
        except RecipientGone as exc:
            raise StopTyping from exc

    return call


class TelegramStream(ThrottledStream[RenderedPart]):
    """A :class:`~adapters.streaming.ThrottledStream` in a Telegram chat: the first part of the
    rendered reply, sent once and then edited (``editMessageText``)."""

    def __init__(self, sender: Sender, target: Target, interval: float = 1.0) -> None:
        super().__init__(interval, name="telegram-stream")
        self._sender = sender
        self._target = target
        self.message_id: int | None = None
        """Our streamed message, once sent."""

    def preview(self, text: str) -> RenderedPart | None:
        """The first Telegram message's worth of ``text``."""
        parts = render(text)
        return parts[0] if parts else None

    async def send(self, preview: RenderedPart) -> bool:
        """Send the streamed message; False when the user blocked the bot."""
        try:
            sent = await self._sender.send_part(self._target, preview)
        except RecipientGone:
            return False
        if sent is None:
            return False
        self.message_id = sent.message_id
        return True

    async def edit(self, preview: RenderedPart) -> bool:
        """Edit the streamed message; False when the user blocked the bot."""
        assert self.message_id is not None
        try:
            await self._sender.edit_part(self._target, self.message_id, preview)
        except RecipientGone:
            return False
        return True

    async def say(self, text: str) -> bool:
        """Send the first part of ``text`` as a message of its own."""
        parts = render(text)
        if not parts:
            return False
        try:
            await self._sender.send_part(self._target, parts[0])
        except RecipientGone:
            return False
        return True


async def deliver(
    sender: Sender,
    base: Target,
    replies: list[OutgoingMessage],
    stream: TelegramStream | None = None,
) -> int:
    """Send ``replies`` (finishing the streamed message with the first one); return calls made.

    The first part of a reply carries the ``reply_to`` of its target; buttons go on the last part
    (or on the document when there is a file).
    """
    streamed = stream.message_id if stream is not None else None
    calls = 0
    try:
        for out in replies:
            if out.private is not None and not base.private:
                calls += await _deliver_privately(sender, base, out)
                continue
            target = Target(
                chat_id=_as_int(out.chat_id) or base.chat_id,
                thread_id=_as_int(out.thread_id) or base.thread_id,
                reply_to=_as_int(out.reply_to_message_id) or base.reply_to,
                user_id=base.user_id,
                private=base.private,
            )
            parts = render(out.text)
            markup = keyboard(out.buttons)
            for i, part in enumerate(parts):
                last = i == len(parts) - 1 and out.file is None
                part_markup = markup if last else None
                if i == 0 and streamed is not None and out.file is None and stream is not None:
                    if part != stream.shown or part_markup is not None:
                        ok = await sender.edit_part(target, streamed, part, part_markup)
                        calls += 1
                        if not ok:  # the streamed message is gone: send instead
                            await sender.send_part(target, part, part_markup, reply=False)
                            calls += 1
                    streamed = None
                    continue
                await sender.send_part(target, part, part_markup, reply=i == 0)
                calls += 1
            if out.file is not None:
                await sender.send_file(target, out.file.filename, out.file.content, markup)
                calls += 1
            elif not parts and markup is not None:
                log.warning("reply with buttons but no text in chat %s: not sent", out.chat_id)
    except RecipientGone:
        return calls
    return calls


async def _deliver_privately(sender: Sender, base: Target, out: OutgoingMessage) -> int:
    """A reply only its user may see, asked for in a group: sent to their private chat (whose id
    is the user id on Telegram); the group gets "sent privately", or the refusal when Telegram
    will not let the bot start a private chat with that user."""
    assert out.private is not None
    calls = 0
    dm_id = _as_int(out.private.user_id)
    ok = dm_id is not None
    if dm_id is not None:
        dm = Target(chat_id=dm_id, user_id=out.private.user_id, private=True)
        markup = keyboard(out.buttons)
        try:
            parts = render(out.text)
            for i, part in enumerate(parts):
                last = i == len(parts) - 1 and out.file is None
                sent = await sender.send_part(dm, part, markup if last else None, reply=False)
                calls += 1
                ok = ok and sent is not None
            if out.file is not None and ok:
                ok = await sender.send_file(dm, out.file.filename, out.file.content,
                                            markup) is not None
                calls += 1
        except RecipientGone:  # never started a private chat with the bot, or blocked it
            ok = False
    group = Target(chat_id=_as_int(out.chat_id) or base.chat_id,
                   thread_id=_as_int(out.thread_id) or base.thread_id,
                   reply_to=_as_int(out.reply_to_message_id) or base.reply_to,
                   user_id=base.user_id, private=False)
    for part in render(out.private.sent_notice if ok else out.private.refusal):
        await sender.send_part(group, part)
        calls += 1
    return calls


def _as_int(value: str | None) -> int | None:
    """A platform id as int; None for absent or non-numeric ids (e.g. a callback query id)."""
    if value is None or not value.lstrip("-").isdigit():
        return None
    return int(value)
