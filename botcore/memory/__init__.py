"""Per-user memory: short-term (Redis or in-process) and long-term (SQL)."""

from botcore.memory.base import (
    Fact,
    LongTermMemory,
    ShortTermMemory,
    StoredMessage,
    Turn,
    UserRecord,
)

__all__ = ["Fact", "LongTermMemory", "ShortTermMemory", "StoredMessage", "Turn", "UserRecord"]
