"""Handing a conversation to a human: staff notification, human mode, staff replies, timeout.

See docs/support-desk.md. :class:`~botcore.handoff.service.Handoff` is what the dialogue manager
uses; :mod:`botcore.handoff.store` holds the SQL side (shared with ``botctl escalations``).
"""

from botcore.handoff.service import Handoff
from botcore.handoff.triggers import staff_mark, wants_human

__all__ = ["Handoff", "staff_mark", "wants_human"]
