"""Settings, read from ``BOTCORE_*`` environment variables and ``.env``.

Secrets are :class:`~pydantic.SecretStr`: they never appear in ``repr`` or logs. A secret can also
come from a file: ``BOTCORE_TELEGRAM_TOKEN_FILE=/run/secrets/tg`` (Docker secrets style).
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from botcore.errors import ConfigError

SKILLS: tuple[str, ...] = ("companion", "tutor", "faq", "assistant")
"""The skill names, fixed by the spec."""

_SECRET_FIELDS = ("telegram_token", "discord_token", "telegram_webhook_secret",
                  "generator_api_key")


class Settings(BaseSettings):
    """Every setting of botcore. See the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="BOTCORE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Path("./.botcore")
    database_url: str | None = None
    redis_url: str | None = None
    broker_url: str | None = None

    telegram_token: SecretStr | None = None
    telegram_api_url: str | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_listen: str = "0.0.0.0:8443"
    discord_token: SecretStr | None = None
    discord_api_url: str | None = None
    discord_autoshard: bool = False

    admin_ids: str = ""
    generator_model: str | None = None
    generator_engine: Literal["auto", "llamacpp", "transformers", "openai", "vllm"] = "auto"
    """How replies are generated; ``auto``: llamacpp for a GGUF on CPU (see docs/model.md)."""
    generator_url: str | None = None
    """Base URL of an OpenAI-compatible server for the ``openai`` engine (…/v1)."""
    generator_api_key: SecretStr | None = None
    generator_slots: int = Field(default=8, ge=1, le=256)
    """Requests one worker decodes at once (llama.cpp slots, batch rows); the rest queue."""
    generator_ctx: int = Field(default=2048, ge=256, le=131072)
    """Context per slot in tokens (prompt + reply); prompts are cut to fit."""
    generator_threads: int = Field(default=0, ge=0, le=256)
    """CPU threads for the llamacpp engine (0: the CPUs this process may use, at most 16)."""
    encoder_model: str | None = None
    device: str = "auto"
    executor: str = "local"
    """Entry point (group ``botcore.executors``) that runs the model in-process when no broker is set."""

    # dialogue
    bot_name: str = "Botcore"
    persona: str = "a warm, curious and helpful companion"
    default_skill: Literal["auto", "companion", "tutor", "faq", "assistant"] = "auto"
    recent_turns: int = Field(default=12, ge=1, le=200)
    short_term_ttl_s: int = Field(default=7 * 24 * 3600, ge=60)
    max_input_chars: int = Field(default=4000, ge=10)
    dedupe_ttl_s: int = Field(default=24 * 3600, ge=1)
    lock_timeout_s: float = Field(default=120.0, gt=0)
    rate_limit_user: int = Field(default=20, ge=1, description="messages per window per user")
    rate_limit_chat: int = Field(default=60, ge=1, description="messages per window per chat")
    rate_limit_window_s: float = Field(default=60.0, gt=0)
    reply_timeout_s: float = Field(default=120.0, gt=0)
    max_new_tokens: int = Field(default=160, ge=1, le=4096)
    """Cap on any reply's length in tokens (skills ask for less: companion 60, tutor 128)."""
    faq_threshold: float = Field(default=0.50, ge=-1.0, le=1.0)
    """Measured with bench/bench_faq.py: 84% right, 4% wrong, all out-of-scope refused."""
    prompt_canary: SecretStr | None = None
    """A secret placed in the system prompt that replies must never contain (leak tripwire)."""
    crisis_resources: str = (
        "If you are in danger or thinking about harming yourself, please reach out now: "
        "call your local emergency number, or find a helpline at https://findahelpline.com"
    )
    crisis_resources_zh: str | None = Field(default=None, max_length=2000)
    """Crisis resources for Chinese-speaking users (default: the built-in Chinese text)."""

    log_level: str = "INFO"
    metrics_port: int | None = None

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
                except OSError as exc:
                    raise ValueError(f"cannot read BOTCORE_{name.upper()}_FILE: {exc}") from exc
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


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, wrapping validation errors in :class:`ConfigError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
