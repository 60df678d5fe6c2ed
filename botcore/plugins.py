"""Entry-point discovery: adapters, model executors and CLI plugins live outside botcore.

Groups (declared in ``pyproject.toml``):

- ``botcore.adapters``: ``name = "module:create_adapter"``; ``create_adapter(runtime) -> Adapter``.
- ``botcore.executors``: ``name = "module:factory"``; ``factory(settings) -> ModelExecutor``.
- ``botcore.cli``: a ``typer.Typer`` (added as a sub-command group) or a plain function
  (added as a command).

A third-party package adds a platform by declaring its own entry point in one of these groups.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

from botcore.errors import PluginError

ADAPTERS = "botcore.adapters"
EXECUTORS = "botcore.executors"
CLI = "botcore.cli"


def available(group: str) -> dict[str, EntryPoint]:
    """The entry points of ``group`` by name."""
    return {ep.name: ep for ep in entry_points(group=group)}


def load(group: str, name: str) -> Any:
    """Load the object behind entry point ``name`` of ``group``.

    Raises:
        PluginError: the name is unknown or its module fails to import.
    """
    eps = available(group)
    if name not in eps:
        known = ", ".join(sorted(eps)) or "none installed"
        raise PluginError(f"no {group} plugin named {name!r} (known: {known})")
    try:
        return eps[name].load()
    except Exception as exc:  # an import error inside a plugin is the plugin's fault
        raise PluginError(f"{group} plugin {name!r} failed to load: {exc}") from exc
