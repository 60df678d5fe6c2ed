"""The scheduled retention purge: ``BOTCORE_RETENTION_DAYS`` (off by default).

A long-running bot process (``botctl run …``) runs :func:`retention_loop`: every
``BOTCORE_RETENTION_INTERVAL_S`` it deletes what :func:`botcore.admin.users.purge` deletes for data
older than the retention period, and records the counts in the audit log (actor
``system:retention``, action ``retention.purge``). With several bot processes sharing Redis, a
claim makes one of them run each round.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from botcore.admin.users import PurgePlan, purge
from botcore.errors import BotcoreError
from botcore.memory.base import ShortTermMemory
from botcore.memory.stores import SqlTier
from botcore.periodic import run_every

log = logging.getLogger(__name__)

ACTOR = "system:retention"
ACTION = "retention.purge"
CLAIM = "retention:round"


async def purge_once(store: SqlTier, short: ShortTermMemory, days: float, *,
                     interval_s: float, now: datetime | None = None) -> PurgePlan | None:
    """One round: purge data older than ``days`` unless another process ran this round.

    Returns the counts deleted (also written to the audit log), or None when skipped.
    """
    try:
        if not await short.claim(CLAIM, max(1.0, interval_s * 0.9)):
            return None
    except BotcoreError as exc:  # Redis down: run anyway (the purge is idempotent)
        log.warning("retention: cannot claim the round (%s); purging anyway", exc)
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    plan = await purge(store, short, cutoff, inactive_users=False)
    await store.audit(ACTOR, ACTION, None, {"older_than_days": days, **plan.as_dict()})
    log.info("retention purge (%s days): %s", days, plan)
    return plan


async def retention_loop(store: SqlTier, short: ShortTermMemory, days: float,
                         interval_s: float) -> None:
    """Run :func:`purge_once` now and then every ``interval_s`` seconds, until cancelled."""
    await run_every(interval_s, lambda: purge_once(store, short, days, interval_s=interval_s),
                    "retention purge")
