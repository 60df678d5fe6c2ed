"""`botctl config check`: settings, database (reachable and migrated), Redis, broker, tokens.

Each check gives one :class:`Check` with a status: ``ok``, ``warn`` (works, but look at it),
``skip`` (not configured: the embedded default is used) or ``fail`` (the bot cannot run so).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict, dataclass

from botcore.config import Settings
from botcore.errors import BotcoreError, ConfigError
from botcore.jsontypes import JsonObject
from botcore.redact import mask_url, redact

OK, WARN, SKIP, FAIL = "ok", "warn", "skip", "fail"
_TG_TOKEN = re.compile(r"^\d{5,}:[A-Za-z0-9_-]{30,}$")


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of one check; ``detail`` never contains a secret."""

    name: str
    status: str
    detail: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "detail", redact(self.detail))

    def as_dict(self) -> JsonObject:
        """JSON-ready."""
        return asdict(self)


def safe_url(url: str) -> str:
    """The URL with its password hidden (``urlsplit``: a password may contain ``@``)."""
    return mask_url(url)


async def check_database(settings: Settings) -> list[Check]:
    """Reachable, and at the newest migration."""
    from botcore.memory.sql_engine import current_revision, head_revision, make_engine

    url = settings.sql_url
    engine = make_engine(url)
    try:
        rev = await asyncio.wait_for(current_revision(engine), 10)
    except Exception as exc:  # any driver error means unreachable
        return [Check("database", FAIL, f"{safe_url(url)} unreachable: {type(exc).__name__}: "
                      f"{str(exc).splitlines()[0][:160] if str(exc) else ''}"),
                Check("migrations", SKIP, "database unreachable")]
    finally:
        await engine.dispose()
    head = head_revision()
    db = Check("database", OK, f"{safe_url(url)} reachable")
    if rev == head:
        return [db, Check("migrations", OK, f"at head ({head})")]
    if url.startswith("sqlite"):
        return [db, Check("migrations", WARN, f"at {rev or 'empty'}, head is {head}: the embedded "
                                              "database migrates itself on start")]
    return [db, Check("migrations", FAIL,
                      f"at {rev or 'empty'}, head is {head}: run `botctl db upgrade`")]


async def check_redis(settings: Settings) -> Check:
    """Redis answers a PING (or the in-process stand-in is used)."""
    if not settings.redis_url:
        return Check("redis", SKIP, "not configured: short-term memory in-process "
                                    "(one bot process only)")
    from botcore.memory.factory import open_short_term

    short = await open_short_term(settings)
    try:
        await asyncio.wait_for(short.ping(), 10)
        return Check("redis", OK, f"{safe_url(settings.redis_url)} reachable")
    except (BotcoreError, TimeoutError, OSError) as exc:
        return Check("redis", FAIL, f"{safe_url(settings.redis_url)} unreachable: {exc}")
    finally:
        await short.aclose()


def _broker_connect(url: str) -> None:
    from kombu import Connection

    with Connection(url, connect_timeout=5) as conn:
        conn.ensure_connection(max_retries=1, timeout=5)


async def check_broker(settings: Settings) -> Check:
    """The Celery broker accepts a connection (or the model runs in-process)."""
    if not settings.broker_url:
        return Check("broker", SKIP, f"not configured: the model runs in-process "
                                     f"(executor {settings.executor})")
    try:
        await asyncio.wait_for(asyncio.to_thread(_broker_connect, settings.broker_url), 15)
        return Check("broker", OK, f"{safe_url(settings.broker_url)} reachable")
    except Exception as exc:  # kombu raises many kinds
        return Check("broker", FAIL, f"{safe_url(settings.broker_url)} unreachable: "
                                     f"{type(exc).__name__}")


def check_tokens(settings: Settings, required: set[str]) -> list[Check]:
    """Platform tokens present (missing ones fail only when ``required``)."""
    out = []
    tg = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    if tg:
        status = OK if _TG_TOKEN.match(tg) or settings.telegram_api_url else WARN
        out.append(Check("telegram token", status, "present" if status == OK else
                         "present, but not shaped like 123456:ABC… (BotFather's format)"))
    else:
        out.append(Check("telegram token", FAIL if "telegram" in required else SKIP,
                         "BOTCORE_TELEGRAM_TOKEN not set (`botctl run telegram` needs it)"))
    dc = settings.discord_token.get_secret_value() if settings.discord_token else ""
    if dc:
        out.append(Check("discord token", OK if len(dc) >= 50 or settings.discord_api_url
                         else WARN, "present" if len(dc) >= 50 or settings.discord_api_url
                         else "present, but shorter than a Discord bot token"))
    else:
        out.append(Check("discord token", FAIL if "discord" in required else SKIP,
                         "BOTCORE_DISCORD_TOKEN not set (`botctl run discord` needs it)"))
    return out


def check_settings(settings: Settings) -> list[Check]:
    """Values that parse but may be wrong: admin ids, the data dir."""
    out = []
    try:
        admins = settings.admins
        out.append(Check("admin ids", OK if admins else WARN,
                         f"{len(admins)} admin(s)" if admins else
                         "BOTCORE_ADMIN_IDS is empty: nobody can use /admin in chat"))
    except ConfigError as exc:
        out.append(Check("admin ids", FAIL, str(exc)))
    data = settings.data_dir
    try:
        data.mkdir(parents=True, exist_ok=True)
        probe = data / ".botctl-write-test"
        probe.write_text("ok")
        probe.unlink()
        out.append(Check("data dir", OK, f"{data.resolve()} writable"))
    except OSError as exc:
        out.append(Check("data dir", FAIL, f"{data}: {exc.strerror or exc}"))
    return out


async def run_checks(settings: Settings, required_tokens: set[str] | None = None) -> list[Check]:
    """Every check, in a stable order (settings first)."""
    checks = [Check("settings", OK, "BOTCORE_* variables are valid")]
    checks += check_settings(settings)
    db, redis, broker = await asyncio.gather(check_database(settings), check_redis(settings),
                                             check_broker(settings))
    checks += [*db, redis, broker]
    checks += check_tokens(settings, required_tokens or set())
    return checks
