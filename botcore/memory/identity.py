"""Cross-platform identity: ``/link`` gives a one-time code; ``/link CODE`` on another platform
joins that account into the code owner's user (one memory); ``/unlink`` splits them again.

A code is 8 symbols of Crockford's base-32 alphabet (40 bits), lives 600 s (checked on redeem,
not only by the store's TTL), is single use, and a new code revokes the previous one. Short-term
memory holds only hashes of codes and users as keys. An account that fails
:data:`MAX_FAILURES` redemptions is refused for an hour, even with a right code.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, select, update

from botcore.admin import models as am
from botcore.memory import sql_models as m
from botcore.memory.base import ShortTermMemory
from botcore.memory.sql_common import ensure_identity, find_identity
from botcore.memory.stores import SqlAccess

CODE_TTL_S = 600
CODE_LENGTH = 8
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford's base 32: no I, L, O or U (read as 1, 1, 0 and refused)."""
MAX_FAILURES = 5
"""Failed redemptions an account may make per :data:`LOCKOUT_S`; then it is refused."""
LOCKOUT_S = 3600
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def _h(value: str) -> str:
    return hashlib.blake2b(value.encode("utf-8", "replace"), digest_size=16).hexdigest()


def new_code() -> str:
    """A random code: 8 symbols from a 32-symbol alphabet (40 bits)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str | None:
    """Uppercase, without spaces or dashes, ambiguous letters read as digits; None if malformed."""
    code = "".join(raw.split()).replace("-", "").upper().translate(_READ_AS)
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def _code_token(code: str) -> str:
    return "link:code:" + _h(code)


def _owner_token(user_ref: str) -> str:
    return "link:owner:" + _h(user_ref)


async def offer_link(short: ShortTermMemory, platform: str, user_id: str) -> str:
    """A fresh code that links another account to ``platform:user_id``; the previous one dies."""
    ref = f"{platform}:{user_id}"
    await revoke_link(short, ref)
    for _ in range(5):
        code = new_code()
        expires = int(time.time()) + CODE_TTL_S
        if await short.claim(_code_token(code), CODE_TTL_S, value=f"{expires}|{ref}"):
            await short.set_claim(_owner_token(ref), _h(code), CODE_TTL_S)
            return code
    raise RuntimeError("could not allocate a link code")


async def revoke_link(short: ShortTermMemory, user_ref: str) -> None:
    """Kill the live code of ``user_ref`` (if any)."""
    current = await short.get_claim(_owner_token(user_ref))
    if current:
        await short.release("link:code:" + current)
        await short.release(_owner_token(user_ref))


async def burn_code(short: ShortTermMemory, raw_code: str) -> None:
    """Revoke a code that was shown where others can see it (e.g. posted in a group)."""
    code = normalize_code(raw_code)
    if code is None:
        return
    value = await short.get_claim(_code_token(code))
    _, _, owner = (value or "").partition("|")
    await short.release(_code_token(code))
    if owner and await short.get_claim(_owner_token(owner)) == _h(code):
        await short.release(_owner_token(owner))


class LinkOutcome(StrEnum):
    """How a redemption ended."""

    LINKED = "linked"
    INVALID = "invalid"
    """Unknown, malformed, expired, revoked or used code (counts as a failure)."""
    OWN = "own"
    """The account's own code."""
    LOCKED = "locked"
    """Too many failures in the last hour: refused without looking at the code."""


@dataclass(frozen=True, slots=True)
class LinkResult:
    """The outcome and, when linked, the owner's ``platform:user_id`` and their other identities."""

    outcome: LinkOutcome
    target: str | None = None
    notify: tuple[tuple[int, str, str], ...] = ()


async def _failed(short: ShortTermMemory, me: str) -> LinkResult:
    if await short.hit("link:fail:" + _h(me), MAX_FAILURES - 1, LOCKOUT_S):
        await short.set_claim("link:lock:" + _h(me), "1", LOCKOUT_S)
    return LinkResult(LinkOutcome.INVALID)


async def redeem_link(short: ShortTermMemory, store: SqlAccess, platform: str, user_id: str,
                      raw_code: str) -> LinkResult:
    """Join ``platform:user_id`` into the user who offered the code."""
    me = f"{platform}:{user_id}"
    if await short.get_claim("link:lock:" + _h(me)):
        return LinkResult(LinkOutcome.LOCKED)
    code = normalize_code(raw_code)
    if code is None:
        return await _failed(short, me)
    value = await short.get_claim(_code_token(code))
    expires, _, target = (value or "").partition("|")
    if not target or not expires.isdigit() or int(expires) < time.time():
        return await _failed(short, me)
    if target == me:
        return LinkResult(LinkOutcome.OWN)
    if await short.get_claim(_owner_token(target)) != _h(code):  # revoked by a newer code
        return await _failed(short, me)
    if not await short.claim("link:used:" + _h(code), CODE_TTL_S):  # single use, even in a race
        return await _failed(short, me)
    await short.release(_code_token(code))
    await short.release(_owner_token(target))
    t_platform, t_user = target.split(":", 1)
    async with store.session() as s:
        owner = await find_identity(s, t_platform, t_user)
        if owner is None:
            return LinkResult(LinkOutcome.INVALID)
        mine = await ensure_identity(s, platform, user_id, None)
        old_uid, new_uid = mine[0].id, owner[0].id
        others = (await s.execute(select(m.Identity.platform, m.Identity.platform_user_id)
                                  .where(m.Identity.user_id == new_uid))).all()
        if old_uid != new_uid:
            for table in (m.Conversation, m.Message, m.Fact, m.Feedback, m.QuizResult,
                          m.Escalation, am.Delivery):
                await s.execute(update(table).where(table.user_id == old_uid)
                                .values(user_id=new_uid))
            await s.execute(update(m.Identity).where(m.Identity.user_id == old_uid)
                            .values(user_id=new_uid))
            await s.execute(delete(m.User).where(m.User.id == old_uid))
    store.forget_conversation_ids()
    return LinkResult(LinkOutcome.LINKED, target,
                      tuple((new_uid, p, u) for p, u in others if f"{p}:{u}" != me))


async def unlink(store: SqlAccess, platform: str, user_id: str) -> list[str]:
    """Split every identity of this account into a user of its own. Each keeps the conversations
    (messages, summaries, feedback, escalations) and facts learned in its own chats; what has no
    origin (quiz results, facts without a source) stays with the oldest identity. Returns the
    ``platform:user_id`` of the identities that were detached from the oldest one."""
    async with store.session() as s:
        found = await find_identity(s, platform, user_id)
        if found is None:
            return []
        uid = found[0].id
        idents = list((await s.execute(select(m.Identity).where(m.Identity.user_id == uid)
                                       .order_by(m.Identity.id))).scalars())
        detached: list[str] = []
        for ident in idents[1:]:
            user = m.User(display_name=None, consent_training=found[0].consent_training)
            s.add(user)
            await s.flush()
            ident.user_id = user.id
            convs = select(m.Conversation.id).where(
                m.Conversation.platform == ident.platform,
                m.Conversation.scope_user_id == ident.platform_user_id,
                m.Conversation.user_id == uid)
            conv_ids = list((await s.execute(convs)).scalars())
            authored = select(m.Message.id).where(
                m.Message.user_id == uid,
                m.Message.conversation_id.in_(select(m.Conversation.id).where(
                    m.Conversation.platform == ident.platform,
                    m.Conversation.scope_user_id == "")))
            msg_ids = select(m.Message.id).where(m.Message.conversation_id.in_(conv_ids))
            await s.execute(update(m.Conversation).where(m.Conversation.id.in_(conv_ids))
                            .values(user_id=user.id))
            await s.execute(update(m.Message).where(m.Message.conversation_id.in_(conv_ids))
                            .where(m.Message.user_id == uid).values(user_id=user.id))
            await s.execute(update(m.Escalation).where(m.Escalation.conversation_id.in_(conv_ids))
                            .values(user_id=user.id))
            await s.execute(update(m.Feedback).where(m.Feedback.user_id == uid)
                            .where(m.Feedback.message_id.in_(msg_ids)).values(user_id=user.id))
            await s.execute(update(m.Fact).where(m.Fact.user_id == uid)
                            .where(m.Fact.source_message_id.in_(msg_ids)).values(user_id=user.id))
            # messages this identity wrote in shared group conversations, and facts from them
            shared = list((await s.execute(authored)).scalars())
            if shared:
                await s.execute(update(m.Message).where(m.Message.id.in_(shared))
                                .values(user_id=user.id))
                await s.execute(update(m.Fact).where(m.Fact.user_id == uid)
                                .where(m.Fact.source_message_id.in_(shared))
                                .values(user_id=user.id))
            await s.execute(update(am.Delivery).where(am.Delivery.user_id == uid)
                            .where(am.Delivery.platform == ident.platform)
                            .where(am.Delivery.platform_user_id == ident.platform_user_id)
                            .values(user_id=user.id))
            detached.append(f"{ident.platform}:{ident.platform_user_id}")
    store.forget_conversation_ids()
    return detached


async def notify_linked(store: SqlAccess, result: LinkResult, linked: str, text: str) -> int:
    """Tell the owner, on each of their other accounts, that ``linked`` joined (SQL outbox)."""
    if not result.notify:
        return 0
    async with store.session() as s:
        row = am.Broadcast(kind="notice", audience=f"link:{result.target}"[:200], text=text,
                           actor="botcore", skipped=0)
        s.add(row)
        await s.flush()
        for uid, platform, pid in result.notify:
            s.add(am.Delivery(broadcast_id=row.id, user_id=uid, platform=platform,
                              platform_user_id=pid))
    return len(result.notify)
