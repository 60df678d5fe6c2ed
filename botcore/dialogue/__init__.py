"""The dialogue manager and the seams adapters use."""

from botcore.dialogue.protocols import ReplyStream, TurnHandler

__all__ = ["ReplyStream", "TurnHandler"]
