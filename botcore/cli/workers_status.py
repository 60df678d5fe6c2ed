"""`botctl workers status`: the Celery model workers online."""

from __future__ import annotations

from typing import Annotated

import typer

from botcore.admin.tables import print_table
from botcore.admin.workers import WorkerInfo, workers_status
from botcore.cli import common

workers_app = typer.Typer(help="The Celery model workers.", no_args_is_help=True)


@workers_app.command()
def status(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for answers.")] = 3.0,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The workers online: queues, active tasks, concurrency and the model each has loaded.

    Exit code 1 when no worker answers (or there is no broker).

    Example: botctl workers status --json
    """
    if not 0 < timeout <= 60:
        common.fail("--timeout must be between 0 and 60 seconds", code=2)
    workers: list[WorkerInfo] = common.run(workers_status(common.settings(), timeout))
    if json_out:
        common.emit_json([w.as_dict() for w in workers])
    elif workers:
        print_table(None, ["worker", "queues", "active", "concurrency", "model", "device",
                           "uptime"],
                    [(w.name, ",".join(w.queues), w.active_tasks, w.concurrency,
                      w.model_version if w.model_loaded else
                      ("(not loaded)" if w.model_loaded is False else "(unknown)"),
                      w.device, f"{w.uptime_s}s" if w.uptime_s is not None else None)
                     for w in workers])
    if not workers:
        common.fail(f"no worker answered within {timeout:g}s")
