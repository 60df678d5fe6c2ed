"""Buttons: :class:`botcore.messages.Button` rows as a ``discord.ui.View``, and presses back in.

Each button is a :class:`CallbackButton`, a ``discord.ui.DynamicItem`` whose ``custom_id`` is
``bc:<Button.data>``. Dynamic items are matched by that pattern, so buttons keep working after the
bot restarts (no view state has to survive in memory). A press is handed to the client's
``handle_button`` coroutine with the data string.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import discord

from botcore.messages import Button

log = logging.getLogger(__name__)

CUSTOM_ID_PREFIX = "bc:"
MAX_CUSTOM_ID = 100
MAX_ROWS = 5
MAX_PER_ROW = 5
MAX_LABEL = 80


@runtime_checkable
class ButtonHandler(Protocol):
    """The client side of a press: ``interaction.client`` implements it."""

    async def handle_button(self, interaction: discord.Interaction[Any], data: str) -> None:
        """Answer a button press whose ``Button.data`` was ``data``."""
        ...


class CallbackButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(re.escape(CUSTOM_ID_PREFIX) + r"(?P<data>.+)", re.DOTALL),
):
    """A button that carries ``Button.data`` in its custom id."""

    def __init__(self, data: str, label: str = "•", row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:MAX_LABEL] or "•",
                custom_id=CUSTOM_ID_PREFIX + data,
                style=discord.ButtonStyle.secondary,
                row=row,
            )
        )
        self.data = data

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CallbackButton:
        """Rebuild the button from a pressed component (called by discord.py)."""
        label = getattr(item, "label", None) or "•"
        return cls(match["data"], label)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Route the press to the client."""
        client = interaction.client
        if isinstance(client, ButtonHandler):
            await client.handle_button(interaction, self.data)
        else:  # pragma: no cover - only a foreign client would get here
            log.warning("button pressed on a client without handle_button")


def build_view(rows: Sequence[Sequence[Button]]) -> discord.ui.View | None:
    """A persistent view holding ``rows`` of buttons (``None`` when there are none).

    Discord allows 5 rows of 5 buttons and 100-character custom ids; what does not fit is
    dropped with a warning rather than failing the whole reply.
    """
    if not rows:
        return None
    view = discord.ui.View(timeout=None)
    for row_index, row in enumerate(rows[:MAX_ROWS]):
        for button in row[:MAX_PER_ROW]:
            if len(CUSTOM_ID_PREFIX) + len(button.data) > MAX_CUSTOM_ID or not button.data:
                log.warning("button data of %d chars does not fit a custom id", len(button.data))
                continue
            view.add_item(CallbackButton(button.data, button.label, row=row_index))
    if len(rows) > MAX_ROWS or any(len(row) > MAX_PER_ROW for row in rows):
        log.warning("more buttons than Discord shows; extra ones dropped")
    return view if view.children else None
