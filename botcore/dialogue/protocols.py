"""Seams between adapters and the dialogue manager."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from botcore.messages import IncomingMessage, OutgoingMessage


@runtime_checkable
class ReplyStream(Protocol):
    """An adapter's live view of a reply being generated.

    ``update`` receives the whole text so far (not a delta) and may be called often: the adapter
    throttles its own edits (Telegram ``editMessageText``, Discord message edits, console prints).
    The final text still comes back from :meth:`TurnHandler.handle`; an adapter that streamed
    renders it by finishing the streamed message rather than sending a new one.

    ``notice`` is optional for streams written before it existed: callers look it up with
    ``getattr`` and go without when it is missing.
    """

    async def update(self, text: str) -> None:
        """Show the partial reply ``text``."""
        ...

    async def notice(self, text: str) -> None:
        """Send ``text`` as a separate short message now (the "busy" notice, sent before the
        reply starts). The streamed reply, when it comes, is a message of its own."""
        ...


@runtime_checkable
class TurnHandler(Protocol):
    """What adapters call for every normalized message (the dialogue manager implements it)."""

    async def handle(
        self, message: IncomingMessage, stream: ReplyStream | None = None
    ) -> list[OutgoingMessage]:
        """Answer one message. Never raises for bad input: returns a clear notice instead.

        Returns an empty list when the message needs no answer (a duplicate delivery, a group
        message not addressed to the bot).
        """
        ...
