"""Erasing a user everywhere (``/forget`` and ``botctl users forget``): SQL rows first, then the
short-term keys of every linked identity and the cached turns of shared group conversations
they spoke in."""

from __future__ import annotations

from collections.abc import Sequence

from botcore.memory.base import ShortTermMemory
from botcore.memory.identity import revoke_link
from botcore.memory.stores import PrivacyStore
from botcore.messages import ConversationKey


async def erase_short_term(short: ShortTermMemory, identities: Sequence[tuple[str, str]],
                           shared: Sequence[ConversationKey]) -> int:
    """Delete the short-term keys of ``identities`` (turns, state, live link codes) and the cached
    turns of the ``shared`` conversations (rebuilt from SQL, now without them, on the next turn).
    Returns how many keys or conversations were dropped."""
    keys = 0
    for platform, user_id in identities:
        keys += await short.forget_user(platform, user_id)
        await revoke_link(short, f"{platform}:{user_id}")
    for key in shared:
        await short.clear(key)
        keys += 1
    return keys


async def erase_user(sql: PrivacyStore, short: ShortTermMemory, platform: str,
                     user_id: str) -> dict[str, int]:
    """Erase ``platform:user_id`` and the identities linked to it; counts per table and of
    short-term keys.

    Raises:
        botcore.errors.StorageUnavailable: short-term memory is unreachable (the SQL rows may be
            gone already; running it again finishes the job).
    """
    identities, shared = await sql.erasure_targets(platform, user_id)
    rows = await sql.forget_user(platform, user_id)
    return {**rows, "short_term_keys": await erase_short_term(short, identities, shared)}
