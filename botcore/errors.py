"""The one exception tree of botcore.

::

    BotcoreError
    ├── ConfigError            settings missing or invalid
    ├── InputError             a message or argument we refuse (reply text in ``user_message``)
    ├── RateLimited            a user or chat sent too much (``retry_after`` seconds)
    ├── StorageError           Redis or SQL failed (wrapped at the store seam)
    │   └── StorageUnavailable the backend cannot be reached right now (retryable)
    ├── InferenceError         the model failed or timed out (wrapped at the executor seam)
    │   └── InferenceTimeout
    ├── PluginError            an entry point (adapter, executor, CLI plugin) is missing or broken
    └── AdapterError           a platform refused a call we cannot recover from

Errors raised by third-party libraries are wrapped where they cross into botcore
(``raise StorageError(...) from exc``), so callers catch one family.
"""

from __future__ import annotations


class BotcoreError(Exception):
    """Root of every error botcore raises on purpose."""


class ConfigError(BotcoreError):
    """Settings are missing or invalid."""


class InputError(BotcoreError):
    """Input we refuse; ``user_message`` is safe to show to the user."""

    def __init__(self, message: str, user_message: str | None = None) -> None:
        super().__init__(message)
        self.user_message = user_message or message


class RateLimited(BotcoreError):
    """Too many messages; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after:.1f}s")
        self.retry_after = retry_after


class StorageError(BotcoreError):
    """Redis or the SQL database failed."""


class StorageUnavailable(StorageError):
    """The storage backend cannot be reached right now; the operation may be retried."""


class InferenceError(BotcoreError):
    """The model worker failed."""


class InferenceTimeout(InferenceError):
    """The model worker did not answer in time."""


class PluginError(BotcoreError):
    """An entry point is missing or failed to load."""


class AdapterError(BotcoreError):
    """A platform call failed in a way the adapter cannot recover from."""
