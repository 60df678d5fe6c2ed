"""Building the PTB bot object: token, Bot API base URL, HTTP requests and the rate limiter."""

from __future__ import annotations

from telegram import BotCommand
from telegram.ext import ExtBot
from telegram.request import BaseRequest, HTTPXRequest

from adapters.telegram.ratelimit import ChatRateLimiter
from botcore.errors import ConfigError
from botcore.i18n import Text

OFFICIAL_API = "https://api.telegram.org"

COMMAND_TEXTS: tuple[tuple[str, Text], ...] = (
    ("start", Text("Say hello and see what I can do", "打个招呼，看看我能做什么")),
    ("help", Text("How to talk to me", "怎么和我聊天")),
    ("mode", Text("Pick a skill: companion, tutor, faq, assistant or auto",
                  "选择技能：companion、tutor、faq、assistant 或 auto")),
    ("reset", Text("Start a fresh conversation", "开始一段新的对话")),
    ("forget", Text("Erase everything I know about you", "删除我知道的关于你的一切")),
    ("export", Text("Get your data as a JSON file", "以 JSON 文件获取你的数据")),
    ("memory", Text("What I remember about you", "我记得的关于你的事")),
    ("quiz", Text("Quiz me on a topic", "来一个某个主题的小测验")),
    ("progress", Text("Your tutoring progress", "你的学习进度")),
    ("feedback", Text("Tell the team what you think", "告诉团队你的想法")),
    ("human", Text("Talk to a person from the team", "转人工：联系团队的工作人员")),
    ("settings", Text("Group settings (group admins)", "群设置（群管理员）")),
)


def commands(lang: str | None = None) -> tuple[BotCommand, ...]:
    """The command menu in ``lang`` (``setMyCommands`` once per language at start)."""
    return tuple(BotCommand(name, text.render(lang)) for name, text in COMMAND_TEXTS)


COMMANDS: tuple[BotCommand, ...] = commands("en")
"""The command menu registered with ``setMyCommands`` at start."""


def api_base_urls(api_url: str | None) -> tuple[str, str]:
    """The ``(base_url, base_file_url)`` PTB needs for a configured Bot API URL.

    PTB builds request URLs as ``base_url + token + "/" + method``, so ``base_url`` must end with
    ``/bot``. We accept a plain server address (``http://127.0.0.1:8081``), one that already ends
    in ``/bot``, or a template with ``{token}``.
    """
    url = (api_url or OFFICIAL_API).strip()
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"BOTCORE_TELEGRAM_API_URL must be an http(s) URL, got {url!r}")
    if "{token}" in url:
        return url, url.replace("/bot{token}", "/file/bot{token}")
    root = url.rstrip("/").removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


def build_bot(
    token: str,
    api_url: str | None = None,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limiter: ChatRateLimiter | None = None,
    poll_timeout: float = 30.0,
) -> ExtBot[int]:
    """An :class:`~telegram.ext.ExtBot` for ``token`` that talks to ``api_url``.

    Args:
        token: the bot token from @BotFather.
        api_url: the Bot API server (``None``: the official one).
        request: the HTTP request object for ordinary calls (tests pass a fake one).
        get_updates_request: the one for long polling (read timeout above ``poll_timeout``).
        rate_limiter: defaults to a :class:`ChatRateLimiter` with Telegram's limits.
        poll_timeout: the long-polling timeout the adapter uses, in seconds.
    """
    if not token or ":" not in token:
        raise ConfigError("BOTCORE_TELEGRAM_TOKEN is missing or not a bot token (id:secret)")
    base_url, base_file_url = api_base_urls(api_url)
    if request is None:
        request = HTTPXRequest(connection_pool_size=64, read_timeout=15.0, pool_timeout=10.0)
    if get_updates_request is None:
        get_updates_request = HTTPXRequest(read_timeout=poll_timeout + 10.0)
    return ExtBot(
        token,
        base_url=base_url,
        base_file_url=base_file_url,
        request=request,
        get_updates_request=get_updates_request,
        rate_limiter=rate_limiter or ChatRateLimiter(),
    )
