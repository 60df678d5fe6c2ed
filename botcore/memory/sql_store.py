"""Long-term memory in SQL (SQLAlchemy 2 async, Postgres or SQLite), split by concern.

Every method opens its own short transaction. Connection failures are wrapped in
:class:`~botcore.errors.StorageUnavailable` so the dialogue manager can retry them.
:class:`SqlMemory` is every concern at once (what the runtime builds); callers that need one
concern type against its protocol in :mod:`botcore.memory.stores`.
"""

from __future__ import annotations

from botcore.memory.sql_admin import SqlAdmin
from botcore.memory.sql_common import MAX_ROW_ID as MAX_ROW_ID
from botcore.memory.sql_common import PRIVATE_SCOPE as PRIVATE_SCOPE
from botcore.memory.sql_common import SqlStoreBase as SqlStoreBase
from botcore.memory.sql_common import fact_scope as fact_scope
from botcore.memory.sql_conversations import SqlConversations
from botcore.memory.sql_facts import SqlFacts
from botcore.memory.sql_privacy import SqlPrivacy
from botcore.memory.sql_users import SqlUsers


class SqlMemory(SqlUsers, SqlConversations, SqlFacts, SqlPrivacy, SqlAdmin):
    """The SQL tier: users, conversations, facts, privacy and admin data in one object.

    Implements :class:`botcore.memory.stores.LongTermMemory` (every protocol of
    :mod:`botcore.memory.stores`).
    """
