"""botctl — the admin CLI of botcore. Every command has --help; data commands take --json;
errors exit non-zero with a one-line message.

Plugins add command groups through the ``botcore.cli`` entry point group (e.g. ``botctl model``
comes from the workers package), so botcore never imports them directly.
"""

from __future__ import annotations

import logging
import os
import sys
import traceback
from typing import Any

import typer
from typer.core import TyperGroup

from botcore import __version__, plugins
from botcore.cli import common
from botcore.cli.audit import audit_app
from botcore.cli.broadcast import broadcast_app
from botcore.cli.chat import chat
from botcore.cli.config_check import config_app
from botcore.cli.db import db_app
from botcore.cli.escalations import escalations_app
from botcore.cli.faq import faq_app
from botcore.cli.health import health
from botcore.cli.run import run
from botcore.cli.stats import stats
from botcore.cli.users import users_app
from botcore.cli.workers_status import workers_app
from botcore.errors import BotcoreError, ConfigError
from botcore.redact import redact

log = logging.getLogger(__name__)


class _Botctl(TyperGroup):
    """The root group: whatever a command raises leaves as one redacted line on stderr — a
    configuration error (settings, data dir, database URL) with exit code 2, anything else 1.
    ``BOTCORE_LOG_LEVEL=DEBUG`` adds the (redacted) traceback."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if type(exc).__module__.startswith(("click", "typer")):
                raise  # usage errors, Exit, Abort: the CLI framework's own handling
            _one_line(exc)


def _one_line(exc: Exception) -> None:
    if isinstance(exc, ConfigError):
        common.config_error(exc)
    if isinstance(exc, BotcoreError):
        common.fail(str(getattr(exc, "user_message", None) or exc))
    # a bug or a library error: no traceback (it may quote secrets) unless asked for
    if os.environ.get("BOTCORE_LOG_LEVEL", "").strip().upper() == "DEBUG":
        sys.stderr.write(redact("".join(traceback.format_exception(exc))))
    common.fail(f"{type(exc).__name__}: {str(exc).strip() or 'unexpected error'} "
                "(BOTCORE_LOG_LEVEL=DEBUG shows the traceback)")


app = typer.Typer(
    cls=_Botctl,
    name="botctl",
    help="Run and manage a botcore deployment.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(chat)
app.command()(run)
app.command()(health)
app.add_typer(db_app, name="db")
app.add_typer(faq_app, name="faq")
app.add_typer(users_app, name="users")
app.command()(stats)
app.add_typer(broadcast_app, name="broadcast")
app.add_typer(escalations_app, name="escalations")
app.add_typer(audit_app, name="audit")
app.add_typer(config_app, name="config")
app.add_typer(workers_app, name="workers")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"botctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Run and manage a botcore deployment."""


def _add_plugins() -> None:
    for name, ep in sorted(plugins.available(plugins.CLI).items()):
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not take the whole CLI down
            print(f"warning: botctl plugin {name!r} failed to load: {exc}", file=sys.stderr)
            continue
        if isinstance(obj, typer.Typer):
            app.add_typer(obj, name=name)
        else:
            app.command(name=name)(obj)


_add_plugins()


def main() -> None:
    """Console-script entry point."""
    app()
