"""Stage: this process answers the messages of one conversation one at a time, in arrival order."""

from __future__ import annotations

from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn
from botcore.ordering import KeyedOrder


class InOrder:
    """Holds the conversation's place in this process's queue for the rest of the turn.

    Nothing is awaited between a message's arrival and taking its place (the stages before this
    one only await for unaddressed group messages), so arrival order is answer order.
    """

    def __init__(self) -> None:
        self.order = KeyedOrder()

    def __len__(self) -> int:
        """Conversations being answered or waited for right now."""
        return len(self.order)

    async def __call__(self, turn: Turn, session: Session, call_next: Next) -> None:
        async with self.order(str(turn.key)):
            await call_next(turn)
