"""Per-user memory: short-term (Redis or in-process) and long-term (SQL).

The long-term contracts, one per concern and their union ``LongTermMemory``, live in
:mod:`botcore.memory.stores`.
"""

from botcore.memory.base import (
    Fact,
    ShortTermMemory,
    StoredMessage,
    Turn,
    UserRecord,
)

__all__ = ["Fact", "ShortTermMemory", "StoredMessage", "Turn", "UserRecord"]
