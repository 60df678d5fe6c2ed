"""``/settings`` in Telegram groups: the same per-chat settings as Discord's, for group admins.

Who is an admin is asked from Telegram (``getChatMember``: ``creator`` or ``administrator``); an
anonymous admin posting as the group is one too. Values are parsed and described by
:mod:`botcore.chat_settings` and stored in the ``chat_settings`` SQL row of the chat.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from telegram import ChatMember
from telegram.error import TelegramError

from adapters.telegram.normalize import PLATFORM
from botcore import chat_settings as cs
from botcore.dialogue.commands import parse_command
from botcore.i18n import detect_language
from botcore.memory.base import ChatSettings
from botcore.messages import ChatType, IncomingMessage

log = logging.getLogger(__name__)

ADMIN_STATUSES = frozenset({ChatMember.OWNER, ChatMember.ADMINISTRATOR})


class ChatSettingsStore(Protocol):
    """The part of :class:`botcore.memory.stores.AdminStore` this module needs."""

    async def get_chat_settings(self, platform: str, chat_id: str) -> ChatSettings:
        """Settings of one chat ({} when none)."""
        ...

    async def set_chat_settings(self, platform: str, chat_id: str, values: Mapping[str, Any]) -> None:
        """Merge ``values``; ``None`` removes a key."""
        ...


class MemberLookup(Protocol):
    """``bot.get_chat_member``."""

    async def get_chat_member(self, chat_id: int, user_id: int) -> ChatMember:
        """The member's status in the chat."""
        ...


def is_settings_command(msg: IncomingMessage) -> bool:
    """``/settings …`` typed in a chat (not a button)."""
    return msg.is_command and parse_command(msg.text)[0] == "settings"


async def is_admin(bot: MemberLookup, msg: IncomingMessage) -> bool:
    """Whether the sender administers the group (asked from Telegram)."""
    if msg.user_id == msg.chat_id:  # an anonymous admin speaks as the group itself
        return True
    try:
        member = await bot.get_chat_member(int(msg.chat_id), int(msg.user_id))
    except (TelegramError, ValueError) as exc:
        log.warning("getChatMember failed for chat %s: %s", msg.chat_id, exc)
        return False
    return member.status in ADMIN_STATUSES


async def handle_settings(bot: MemberLookup, store: ChatSettingsStore,
                          msg: IncomingMessage) -> str:
    """Answer one ``/settings`` command."""
    _, args = parse_command(msg.text)
    lang = msg.language or detect_language(args) or "en"
    if msg.chat_type is ChatType.PRIVATE:
        return cs.ONLY_GROUPS.render(lang)
    cfg = await store.get_chat_settings(PLATFORM, msg.chat_id)
    if args.strip().lower() in {"", "show"}:
        return cs.describe(cfg, msg.chat_id, lang)
    if args.strip().lower() == "help":
        return cs.USAGE.render(lang)
    if not await is_admin(bot, msg):
        return cs.NOT_ADMIN.render(lang)
    values, bad = cs.parse_change(args, cfg, msg.chat_id)
    if bad is not None:
        return cs.BAD_VALUE.render(lang, key=bad[0], value=bad[1])
    if values is None:
        return cs.USAGE.render(lang)
    await store.set_chat_settings(PLATFORM, msg.chat_id, values)
    log.info("telegram: chat %s settings changed by %s: %s", msg.chat_id, msg.user_id, sorted(values))
    cfg = await store.get_chat_settings(PLATFORM, msg.chat_id)
    return cs.SAVED.render(lang) + "\n" + cs.describe(cfg, msg.chat_id, lang)
