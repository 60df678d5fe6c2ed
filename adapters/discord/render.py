"""Render the dialogue manager's :class:`~botcore.messages.OutgoingMessage` list into Discord.

Each reply is mention-neutralized and split into 2000-character chunks (code blocks intact). The
first chunk of the turn replies to the user's message (a message reference, without a ping); a
reply's buttons and file ride on its last chunk. When the turn was streamed, the preview message
becomes the first chunk instead of a new message being sent.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence

import discord

from adapters.discord.sinks import Sink
from adapters.discord.text import neutralize_mass_mentions, split_message
from adapters.discord.views import build_view
from botcore.messages import OutgoingMessage

log = logging.getLogger(__name__)


def to_file(reply: OutgoingMessage) -> discord.File | None:
    """The reply's attachment as a ``discord.File``."""
    if reply.file is None:
        return None
    return discord.File(io.BytesIO(reply.file.content), filename=reply.file.filename)


async def render_replies(
    sink: Sink,
    replies: Sequence[OutgoingMessage],
    *,
    reference: str | None = None,
    streamed: discord.Message | None = None,
) -> list[discord.Message]:
    """Send (or finish streaming) every reply of one turn.

    Args:
        sink: the channel or interaction to answer in.
        replies: what the dialogue manager returned.
        reference: id of the user's message; the turn's first message replies to it unless a
            reply names its own ``reply_to_message_id``.
        streamed: the preview message of a streamed turn, reused for the first chunk.

    Returns:
        The Discord messages that now hold the replies.
    """
    sent: list[discord.Message] = []
    preview = streamed
    first = True
    for reply in replies:
        chunks = split_message(neutralize_mass_mentions(reply.text))
        view = build_view(reply.buttons)
        file = to_file(reply)
        if not chunks and file is None and view is None:
            continue
        if not chunks:
            chunks = [""] if file is not None else ["\u200b"]
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            item_view = view if last else None
            item_file = file if last else None
            if preview is not None:
                await sink.edit(preview, chunk or "\u200b", view=item_view, file=item_file)
                sent.append(preview)
                preview = None
            else:
                ref = None
                if index == 0:
                    ref = reply.reply_to_message_id or (reference if first else None)
                sent.append(await sink.send(chunk or None, view=item_view, file=item_file, reference=ref))
            first = False
    if preview is not None:  # streamed, but the final answer had nothing to show there
        try:
            await preview.delete()
        except discord.HTTPException as exc:
            log.debug("could not delete an unused preview: %s", exc)
    return sent
