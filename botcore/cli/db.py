"""`botctl db`: Alembic migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from botcore.cli import common
from botcore.memory.factory import database_revision
from botcore.memory.sql_engine import head_revision, migrate

db_app = typer.Typer(help="Database migrations (Alembic).", no_args_is_help=True)


@db_app.command()
def upgrade(revision: Annotated[str, typer.Argument(help="Target: head, a revision id, +1.")]
            = "head") -> None:
    """Upgrade the schema (default: to the newest revision)."""
    s = common.settings()
    common.run(database_revision(s))  # unreachable: one line naming the variable, exit 2
    common.run(migrate(s.sql_url, "upgrade", revision))
    typer.echo(f"upgraded to {revision}")


@db_app.command()
def downgrade(revision: Annotated[str, typer.Argument(help="Target: base, a revision id, -1.")]
              ) -> None:
    """Downgrade the schema (e.g. `botctl db downgrade -1`, `botctl db downgrade base`)."""
    s = common.settings()
    common.run(database_revision(s))
    common.run(migrate(s.sql_url, "downgrade", revision))
    typer.echo(f"downgraded to {revision}")


@db_app.command()
def current(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show the database's revision and the newest one."""
    s = common.settings()
    rev = common.run(database_revision(s))
    head = head_revision()
    if json_out:
        common.emit_json({"current": rev, "head": head, "up_to_date": rev == head})
    else:
        typer.echo(f"current: {rev or '(empty)'}  head: {head}"
                   + ("" if rev == head else "  — run `botctl db upgrade`"))
