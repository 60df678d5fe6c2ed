"""Per-chat settings that group admins change with ``/settings`` (Telegram) or ``/settings …``
slash commands (Discord): one ``chat_settings`` SQL row per chat (Telegram) or guild (Discord).

Keys: ``enabled_channels`` (chats/channels where the bot answers every message, not only when
addressed), ``skills`` (the skills allowed here, within ``BOTCORE_SKILLS``), ``default_skill``,
``persona`` and ``memory_scope`` (``user``: per member; ``shared``: one memory per chat).
:func:`parse_change` turns ``/settings KEY VALUE`` into the values to store; the permission check
is the adapter's (it asks the platform who is an admin).
"""

from __future__ import annotations

from typing import Any

from botcore.config import SKILLS
from botcore.i18n import Text
from botcore.memory.base import ChatSettings

PERSONA_MAX = 300

USAGE = Text(
    "Settings of this chat (group admins only):\n"
    "/settings — show them\n"
    "/settings enabled on|off — answer every message here, not only mentions and replies\n"
    "/settings skills faq,tutor,…|all — the skills that may answer here\n"
    "/settings default companion|tutor|faq|assistant|auto — the skill used unless a user picks one\n"
    "/settings persona TEXT|reset — how I present myself here\n"
    "/settings memory user|shared — one memory per member, or one for the whole chat",
    "本群的设置（仅限群管理员）：\n"
    "/settings — 查看\n"
    "/settings enabled on|off — 回复这里的每条消息，而不仅是提到我或回复我的消息\n"
    "/settings skills faq,tutor,…|all — 这里允许使用的技能\n"
    "/settings default companion|tutor|faq|assistant|auto — 用户未选择时使用的技能\n"
    "/settings persona 文字|reset — 我在这里的人设\n"
    "/settings memory user|shared — 每位成员各自的记忆，或全群共享一份记忆",
)
SHOW = Text("Settings of this chat:\n• answer every message: {enabled}\n• skills: {skills}\n"
            "• default skill: {default}\n• persona: {persona}\n• memory: {memory}",
            "本群设置：\n• 回复每条消息：{enabled}\n• 技能：{skills}\n• 默认技能：{default}\n"
            "• 人设：{persona}\n• 记忆：{memory}")
SAVED = Text("Saved.", "已保存。")
BAD_VALUE = Text("I can't use {value!r} for {key}. Type /settings help.",
                 "{key} 不能设为 {value!r}。发送 /settings help 查看用法。")
NOT_ADMIN = Text("Only this group's admins can change my settings.", "只有本群管理员可以修改我的设置。")
ONLY_GROUPS = Text("/settings is for groups: add me to a group and use it there.",
                   "/settings 用于群聊：请把我加入群组后在群里使用。")


def describe(cfg: ChatSettings, chat_id: str, lang: str | None = None) -> str:
    """The chat's settings, for people."""
    enabled = cfg.get("enabled_channels")
    on = isinstance(enabled, list) and chat_id in [str(c) for c in enabled]
    skills = cfg.get("skills")
    zh = lang == "zh"
    return SHOW.render(
        lang, enabled=("开" if on else "关") if zh else ("on" if on else "off"),
        skills=", ".join(skills) if isinstance(skills, list) and skills else
        ("全部" if zh else "all allowed"),
        default=cfg.get("default_skill") or "auto",
        persona=cfg.get("persona") or ("默认" if zh else "default"),
        memory=("全群共享" if zh else "shared by the chat") if cfg.get("memory_scope") == "shared"
        else ("每位成员" if zh else "per member"))


def parse_change(args: str, cfg: ChatSettings, chat_id: str
                 ) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
    """``"skills faq,tutor"`` → ``({"skills": ["faq", "tutor"]}, None)``; a bad value gives
    ``(None, (key, value))``; no change asked (empty, ``help``) gives ``(None, None)``."""
    key, _, value = args.strip().partition(" ")
    key, value = key.lower(), value.strip()
    if key in {"", "help", "show"}:
        return None, None
    low = value.lower()
    if key in {"enabled", "enable", "answer_all"}:
        if low not in {"on", "off", "yes", "no", "true", "false"}:
            return None, (key, value)
        current = [str(c) for c in cfg.get("enabled_channels") or []]
        current = [c for c in current if c != chat_id]
        if low in {"on", "yes", "true"}:
            current.append(chat_id)
        return {"enabled_channels": sorted(current) or None}, None
    if key in {"skills", "skill_set"}:
        if low in {"all", "auto", "reset"}:
            return {"skills": None}, None
        names = [n.strip().lower() for n in value.replace(" ", ",").split(",") if n.strip()]
        if not names or any(n not in SKILLS for n in names):
            return None, (key, value)
        return {"skills": [s for s in SKILLS if s in names]}, None
    if key in {"default", "default_skill", "skill"}:
        if low == "auto":
            return {"default_skill": None}, None
        if low not in SKILLS:
            return None, (key, value)
        return {"default_skill": low}, None
    if key == "persona":
        if low in {"", "reset", "default"}:
            return {"persona": None}, None
        return {"persona": " ".join(value.split())[:PERSONA_MAX]}, None
    if key in {"memory", "memory_scope"}:
        if low not in {"user", "shared"}:
            return None, (key, value)
        return {"memory_scope": low}, None
    return None, (key, value)
