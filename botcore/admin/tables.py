"""Terminal tables for the admin commands of botctl (rich)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from botcore.admin.session import AdminStores, open_admin
from botcore.config import Settings

T = TypeVar("T")


def print_table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]],
                *, empty: str = "(none)") -> None:
    """Print a table on stdout (plain text when stdout is not a terminal)."""
    import sys

    from rich.console import Console
    from rich.table import Table

    # Piped output (grep, less, a log) gets long lines instead of wrapped cells.
    console = Console(soft_wrap=False, width=None if sys.stdout.isatty() else 200)
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for col in columns:
        table.add_column(col, overflow="fold")
    n = 0
    for row in rows:
        table.add_row(*("-" if v is None else str(v) for v in row))
        n += 1
    if n == 0:
        console.print(f"{title + ': ' if title else ''}{empty}", markup=False, highlight=False)
        return
    if title:
        console.print(title, style="bold", markup=False, highlight=False)
    console.print(table)


async def with_admin(settings: Settings, fn: Callable[[AdminStores], Awaitable[T]]) -> T:
    """Open the stores, run ``fn`` on them, close them."""
    async with open_admin(settings) as stores:
        return await fn(stores)
