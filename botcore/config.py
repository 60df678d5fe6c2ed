"""Settings, read from ``BOTCORE_*`` environment variables and ``.env``.

Secrets are :class:`~pydantic.SecretStr`: they never appear in ``repr`` or logs. A secret can also
come from a file: ``BOTCORE_TELEGRAM_TOKEN_FILE=/run/secrets/tg`` (Docker secrets style).
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from botcore.errors import ConfigError
from botcore.redact import redact, register_settings

SKILLS: tuple[str, ...] = ("companion", "tutor", "faq", "assistant")
"""The skill names, fixed by the spec."""

_SECRET_FIELDS = ("telegram_token", "discord_token", "telegram_webhook_secret",
                  "generator_api_key")
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
DAY_S = 24 * 3600
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9\-.]*[A-Za-z0-9])?$")


def _check_url(value: str | None, schemes: tuple[str, ...], what: str) -> str | None:
    """``value`` if it is a URL with one of ``schemes``, a host (or unix path) and a valid port."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not 0-65535
    except ValueError as exc:
        raise ValueError(f"not a valid {what} URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        raise ValueError(f"{what} URL must start with " + ", ".join(f"{s}://" for s in schemes))
    if scheme not in {"unix", "sqlite", "memory"} and not parts.hostname:
        raise ValueError(f"{what} URL has no host")
    return value


def _check_host(value: str, what: str) -> str:
    host = value.strip().strip("[]") or "127.0.0.1"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOST.match(host):
            raise ValueError(f"{what} must be an IP address or a host name") from None
    return host


def listen_address(value: str, default_port: int = 8443) -> tuple[str, int]:
    """``host:port`` (``[v6]:port``, or a bare host) → (host, port), validated."""
    text = value.strip()
    host, port_text = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    host = _check_host(host, "the listen address")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ValueError("the listen port must be 1-65535")
    return host, int(port_text)


def _usable_dir(path: Path) -> str | None:
    """Why ``path`` cannot be the data dir (None when it can): the nearest existing ancestor must
    be a writable directory."""
    probe = path.expanduser().absolute()
    while not probe.exists():
        if probe.parent == probe:
            return "has no existing parent folder"
        probe = probe.parent
    if not probe.is_dir():
        return f"{probe} is not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{probe} is not writable"
    return None


def ensure_data_dir(path: Path) -> Path:
    """Create the data dir owner-only (0700), or tighten an existing one of ours that is readable
    by others; an unusable folder is a :class:`ConfigError` naming ``BOTCORE_DATA_DIR``."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = path.stat()
        if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) & 0o077:
            path.chmod(stat.S_IMODE(st.st_mode) & 0o700)
        probe = path / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"BOTCORE_DATA_DIR: cannot use {path} as the data folder: "
                          f"{exc.strerror or exc}") from exc
    return path


class Settings(BaseSettings):
    """Every setting of botcore. See the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="BOTCORE_", env_file=".env", env_file_encoding="utf-8", extra="ignore",
        allow_inf_nan=False, hide_input_in_errors=True,
    )

    data_dir: Path = Path("./.botcore")
    database_url: str | None = None
    redis_url: str | None = None
    broker_url: str | None = None

    telegram_token: SecretStr | None = None
    telegram_api_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_listen: str = "127.0.0.1:8443"
    """Where the webhook server listens (``host:port``); behind a reverse proxy or in compose's
    network set ``0.0.0.0:8443`` explicitly."""
    discord_token: SecretStr | None = None
    discord_api_url: str | None = None
    discord_autoshard: bool = False

    admin_ids: str = Field(default="", max_length=10_000)
    generator_model: str | None = Field(default=None, max_length=1000)
    generator_engine: Literal["auto", "llamacpp", "transformers", "openai", "vllm"] = "auto"
    """How replies are generated; ``auto``: llamacpp for a GGUF on CPU (see docs/model.md)."""
    generator_url: str | None = Field(default=None, max_length=2000)
    """Base URL of an OpenAI-compatible server for the ``openai`` engine (…/v1)."""
    generator_api_key: SecretStr | None = None
    generator_slots: int = Field(default=4, ge=1, le=256)
    """Requests one worker decodes at once (llama.cpp slots, batch rows); the rest queue."""
    generator_ctx: int = Field(default=2048, ge=256, le=131072)
    """Context per slot in tokens (prompt + reply); prompts are cut to fit."""
    generator_threads: int = Field(default=0, ge=0, le=256)
    """CPU threads for the llamacpp engine (0: the CPUs this process may use, at most 16)."""
    encoder_model: str | None = Field(default=None, max_length=1000)
    device: str = "auto"
    executor: str = Field(default="local", pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    """Entry point (group ``botcore.executors``) that runs the model in-process when no broker is set."""

    # dialogue
    bot_name: str = Field(default="Botcore", min_length=1, max_length=64)
    persona: str = Field(default="a warm, curious and helpful companion", min_length=1,
                         max_length=1000)
    default_skill: Literal["auto", "companion", "tutor", "faq", "assistant"] = "auto"
    recent_turns: int = Field(default=12, ge=1, le=200)
    short_term_ttl_s: int = Field(default=7 * DAY_S, ge=60, le=366 * DAY_S)
    max_input_chars: int = Field(default=4000, ge=10, le=100_000)
    dedupe_ttl_s: int = Field(default=DAY_S, ge=1, le=30 * DAY_S)
    lock_timeout_s: float = Field(default=120.0, gt=0, le=3600)
    rate_limit_user: int = Field(default=20, ge=1, le=100_000,
                                 description="messages per window per user")
    rate_limit_chat: int = Field(default=60, ge=1, le=100_000,
                                 description="messages per window per chat")
    rate_limit_window_s: float = Field(default=60.0, ge=0.1, le=DAY_S)
    reply_timeout_s: float = Field(default=120.0, gt=0, le=3600)
    busy_notice_s: float = Field(default=8.0, ge=0, le=3600, allow_inf_nan=False)
    """A turn with no first response after this many seconds gets one "busy" notice (0: never)."""
    shutdown_grace_s: float = Field(default=5.0, ge=0, le=300, allow_inf_nan=False)
    """On SIGINT/SIGTERM, turns in flight get this long to finish before they are cancelled."""
    max_new_tokens: int = Field(default=160, ge=1, le=4096)
    """Cap on any reply's length in tokens (skills ask for less: companion 60, tutor 128)."""
    faq_threshold: float = Field(default=0.50, ge=-1.0, le=1.0)
    """Measured with bench/bench_faq.py: 84% right, 4% wrong, all out-of-scope refused. Used until
    ``botctl faq train`` calibrates a threshold on the knowledge base itself."""
    skills: str = Field(default="companion,tutor,faq,assistant", max_length=200)
    """Skills allowed to answer in this deployment (``faq`` alone: FAQ-only)."""
    staff_chat: str | None = Field(default=None, max_length=100)
    """Where escalations reach humans: ``telegram:CHAT_ID`` or ``discord:CHANNEL_ID``."""
    handoff_timeout_s: float = Field(default=3600.0, ge=1.0, le=30 * DAY_S, allow_inf_nan=False)
    """An escalation no human answered within this hands the conversation back to the bot."""
    faq_auto_train: bool = True
    """``botctl faq import`` trains the knowledge-base model afterwards."""
    retention_days: float | None = Field(default=None, gt=0, le=36500, allow_inf_nan=False)
    """Scheduled purge of conversations older than this many days (None: off)."""
    retention_interval_s: float = Field(default=3600.0, ge=1.0, le=7 * 86400,
                                        allow_inf_nan=False)
    """How often a long-running process checks for data past the retention period."""
    prompt_canary: SecretStr | None = Field(default=None, min_length=8, max_length=200)
    """A secret placed in the system prompt that replies must never contain (leak tripwire)."""
    crisis_resources: str = Field(default=(
        "If you are in danger or thinking about harming yourself, please reach out now: "
        "call your local emergency number, or find a helpline at https://findahelpline.com"
    ), min_length=1, max_length=2000)
    crisis_resources_zh: str | None = Field(default=None, max_length=2000)
    """Crisis resources for Chinese-speaking users (default: the built-in Chinese text)."""

    log_level: str = "INFO"
    metrics_addr: str = "127.0.0.1"
    """Where the Prometheus endpoint listens; compose sets ``0.0.0.0`` inside its network."""
    metrics_port: int | None = Field(default=None, ge=1, le=65535)

    @field_validator("skills")
    @classmethod
    def _check_skills(cls, value: str) -> str:
        names = [part.strip().lower() for part in value.split(",") if part.strip()]
        bad = [n for n in names if n not in SKILLS]
        if bad or not names:
            raise ValueError(f"must be a comma list of {', '.join(SKILLS)}; got {value!r}")
        return ",".join(dict.fromkeys(names))

    @field_validator("staff_chat")
    @classmethod
    def _check_staff_chat(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        platform, _, chat = value.strip().partition(":")
        if platform not in {"telegram", "discord"} or not chat.lstrip("-").isdigit():
            raise ValueError("must be telegram:CHAT_ID or discord:CHANNEL_ID")
        return f"{platform}:{chat}"

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        v = value.strip().upper()
        v = "WARNING" if v == "WARN" else v
        if v not in LOG_LEVELS:
            raise ValueError("must be one of " + ", ".join(LOG_LEVELS))
        return v

    @field_validator("data_dir")
    @classmethod
    def _check_data_dir(cls, value: Path) -> Path:
        if not str(value).strip():
            raise ValueError("must not be empty")
        problem = _usable_dir(value)
        if problem:
            raise ValueError(f"cannot create the data folder: {problem}")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value.strip())
        except (ArgumentError, ValueError):
            raise ValueError("not a database URL (postgresql://user@host:5432/name "
                             "or sqlite:///path)") from None
        if url.get_backend_name() not in {"postgresql", "sqlite"}:
            raise ValueError("only postgresql:// and sqlite:/// databases are supported")
        if url.get_backend_name() == "postgresql" and not url.host:
            raise ValueError("the postgresql URL has no host")
        return value.strip()

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        return _check_url(value, ("redis", "rediss", "unix"), "Redis")

    @field_validator("broker_url")
    @classmethod
    def _check_broker_url(cls, value: str | None) -> str | None:
        return _check_url(value, ("amqp", "amqps", "pyamqp", "redis", "rediss", "memory"),
                          "broker")

    @field_validator("telegram_api_url", "discord_api_url", "telegram_webhook_url",
                     "generator_url")
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        return _check_url(value, ("http", "https"), "HTTP")

    @field_validator("telegram_webhook_listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        listen_address(value)
        return value.strip()

    @field_validator("metrics_addr")
    @classmethod
    def _check_metrics_addr(cls, value: str) -> str:
        return _check_host(value, "the metrics address")

    @field_validator("admin_ids")
    @classmethod
    def _check_admin_ids(cls, value: str) -> str:
        bad = [p.strip() for p in value.split(",") if p.strip() and ":" not in p.strip()]
        if bad:
            raise ValueError(f"entries must be platform:user_id, got {bad[:3]}")
        return value

    @field_validator("device")
    @classmethod
    def _check_device(cls, value: str) -> str:
        v = value.strip().lower()
        if v in {"auto", "cpu", "cuda", "mps"} or (v.startswith("cuda:") and v[5:].isdigit()):
            return v
        raise ValueError("device must be auto, cpu, cuda, cuda:N or mps")

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_files(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        for name in _SECRET_FIELDS:
            path = os.environ.get(f"BOTCORE_{name.upper()}_FILE")
            if path and not data.get(name):
                try:
                    data[name] = Path(path).read_text(encoding="utf-8").strip()
                except (OSError, UnicodeDecodeError) as exc:
                    # Not a ValueError: pydantic would print the whole input (other secrets).
                    reason = getattr(exc, "strerror", None) or type(exc).__name__
                    raise ConfigError(f"BOTCORE_{name.upper()}_FILE: cannot read {path}: "
                                      f"{reason}") from None
        return data

    @cached_property
    def admins(self) -> frozenset[str]:
        """Users allowed to run admin commands in chat, as ``platform:user_id``."""
        items = {part.strip() for part in self.admin_ids.split(",") if part.strip()}
        bad = [item for item in items if ":" not in item]
        if bad:
            raise ConfigError(f"BOTCORE_ADMIN_IDS entries must be platform:user_id, got {bad}")
        return frozenset(items)

    @property
    def allowed_skills(self) -> tuple[str, ...]:
        """The skills allowed to answer (``BOTCORE_SKILLS``), in the spec's order."""
        names = set(self.skills.split(","))
        return tuple(s for s in SKILLS if s in names)

    @property
    def staff_target(self) -> tuple[str, str] | None:
        """``(platform, chat_id)`` of the staff chat, or None."""
        if not self.staff_chat:
            return None
        platform, _, chat = self.staff_chat.partition(":")
        return platform, chat

    @property
    def sql_url(self) -> str:
        """The SQLAlchemy async URL: the configured one, or a SQLite file in the data dir."""
        if self.database_url:
            return to_async_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'botcore.sqlite3').resolve()}"

    @property
    def secrets_in_prompt(self) -> tuple[str, ...]:
        """Strings that must never appear in a reply."""
        return (self.prompt_canary.get_secret_value(),) if self.prompt_canary else ()

    @property
    def embedded(self) -> bool:
        """True when no broker is set: the model runs in this process."""
        return not self.broker_url


def to_async_url(url: str) -> str:
    """Map a plain SQLAlchemy URL to its asyncio driver (``postgresql`` → ``postgresql+asyncpg``)."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///") or url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


def describe_errors(exc: ValidationError) -> str:
    """One line naming each bad variable and why, never echoing a secret."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False):
        field = str(err["loc"][0]) if err["loc"] else ""
        name = f"BOTCORE_{field.upper()}" if field else "settings"
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{name}: {msg}")
    return redact("; ".join(parts).replace("\n", " "))


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, wrapping validation errors in :class:`ConfigError`
    (one line naming each bad variable); registers the secrets for redaction."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc)) from None
    except ValueError as exc:  # pydantic-settings' own parse errors
        raise ConfigError(redact(str(exc).splitlines()[0])) from None
    register_settings(settings)
    return settings
