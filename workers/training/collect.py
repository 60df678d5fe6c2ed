"""Collect the deployer's own data for training: the FAQ in SQL and FAQ files."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging

from botcore.config import Settings
from botcore.errors import BotcoreError
from workers.training.config import TrainConfig

log = logging.getLogger(__name__)


async def _sql_faq(settings: Settings) -> list[tuple[str, list[str]]]:
    from botcore.faq.store import all_entries
    from botcore.memory.factory import open_long_term

    store = await open_long_term(settings)
    try:
        return [(r.id, list(r.questions)) for r in await all_entries(store)]
    finally:
        await store.aclose()


def deployer_faq(settings: Settings, config: TrainConfig) -> list[tuple[str, list[str]]]:
    """The deployer's FAQ entries as ``(id, questions)``: SQL (if enabled) plus ``faq_files``.

    A database that cannot be opened is skipped with a warning (training still runs).
    """
    from botcore.faq.formats import read_faq_file

    entries: list[tuple[str, list[str]]] = []
    if config.deployer_faq:
        try:
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                entries += pool.submit(asyncio.run, _sql_faq(settings)).result()
        except (BotcoreError, OSError) as exc:
            log.warning("deployer FAQ not read from SQL: %s", exc)
    for path in config.faq_files:
        try:
            entries += [(r.id, list(r.questions)) for r in read_faq_file(path)]
        except (BotcoreError, OSError) as exc:
            raise BotcoreError(f"cannot read FAQ file {path}: {exc}") from exc
    log.info("deployer FAQ: %d entries, %d questions", len(entries),
             sum(len(q) for _, q in entries))
    return entries
