"""Cross-platform identity: `/link` gives a one-time code; `/link CODE` on another platform joins
both accounts into one user (one memory)."""

from __future__ import annotations

import secrets

from sqlalchemy import select, update

from botcore.memory import sql_models as m
from botcore.memory.base import ShortTermMemory
from botcore.memory.sql_store import SqlMemory
from botcore.messages import ConversationKey

CODE_TTL_S = 600


def new_code() -> str:
    """A 6-digit one-time code."""
    return f"{secrets.randbelow(10**6):06d}"


async def offer_link(short: ShortTermMemory, platform: str, user_id: str) -> str:
    """Create a code that links another account to ``platform:user_id`` (valid 10 minutes)."""
    for _ in range(5):
        code = new_code()
        if await short.claim(f"link:{code}", CODE_TTL_S):
            await short.set_state(_code_key(code), {"user": f"{platform}:{user_id}"})
            return code
    raise RuntimeError("could not allocate a link code")


def _code_key(code: str) -> ConversationKey:
    return ConversationKey("link", code, None)


async def redeem_link(short: ShortTermMemory, store: SqlMemory, platform: str, user_id: str,
                      code: str) -> str | None:
    """Join ``platform:user_id`` into the user who offered ``code``. Returns that user's ref, or
    None if the code is unknown/expired or belongs to the same account."""
    key = _code_key(code.strip())
    state = await short.get_state(key)
    target = state.get("user")
    if not target or target == f"{platform}:{user_id}":
        return None
    await short.clear(key)
    t_platform, t_user = target.split(":", 1)
    async with store.session() as s:
        owner = await store._find_identity(s, t_platform, t_user)
        if owner is None:
            return None
        me = await store._ensure_user(s, platform, user_id, None)
        old_uid, new_uid = me[0].id, owner[0].id
        if old_uid == new_uid:
            return target
        for table in (m.Conversation, m.Message, m.Fact, m.Feedback, m.QuizResult, m.Escalation):
            await s.execute(update(table).where(table.user_id == old_uid).values(user_id=new_uid))
        await s.execute(update(m.Identity).where(m.Identity.user_id == old_uid)
                        .values(user_id=new_uid))
        left = (await s.execute(select(m.Identity.id).where(m.Identity.user_id == old_uid))).first()
        if left is None:
            old = await s.get(m.User, old_uid)
            if old is not None:
                await s.delete(old)
    return target
