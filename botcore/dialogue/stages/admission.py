"""Stage: one answer per message, however often it is delivered and however many processes run.

A message is claimed in short-term memory under its :func:`~botcore.dialogue.turn.dedupe_token`
before anything else happens. A turn that finishes marks the claim done (redeliveries are
duplicates); a turn that fails so that the user should resend releases it (a redelivery is
answered). Each process keeps a liveness key fresh (the heartbeat, which also sweeps overdue human
handoffs): a claim whose process stopped beating is taken over, so a redelivery after a crash is
still answered.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from botcore import metrics
from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn, dedupe_token
from botcore.handoff import Handoff
from botcore.periodic import run_every

log = logging.getLogger(__name__)

DONE = "done"
HEARTBEAT_S = 5.0
"""A process refreshes its liveness key this often; its in-progress claims die with it."""


class Admission:
    """Claims each message for this process and keeps this process's heartbeat.

    Args:
        handoff: the human handoff, whose overdue escalations each heartbeat sweeps.
    """

    def __init__(self, handoff: Handoff) -> None:
        self.handoff = handoff
        self.instance = uuid.uuid4().hex[:16]
        self._heartbeat: asyncio.Task[None] | None = None

    async def __call__(self, turn: Turn, session: Session, call_next: Next) -> None:
        token = dedupe_token(turn.message)
        if not await self._claim(token, session):
            log.info("turn platform=%s outcome=duplicate", turn.message.platform)
            metrics.observe_turn(turn.message.platform, None, "duplicate")
            return
        done = False
        try:
            await call_next(turn)
            done = turn.final
        finally:  # done: redeliveries are duplicates; not done: a redelivery is answered
            short = session.short_term
            if done:
                await session.soft(short.set_claim(token, DONE, session.settings.dedupe_ttl_s),
                                   None)
            else:
                await session.soft(short.release(token), None)

    def close(self) -> None:
        """Stop the heartbeat."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            self._heartbeat = None

    async def _claim(self, token: str, session: Session) -> bool:
        """Claim a message for this process (or take over one whose process died)."""
        self._start_heartbeat(session)
        mine = f"run:{self.instance}"
        ttl = session.settings.lock_timeout_s + session.settings.reply_timeout_s
        short = session.short_term
        if await session.soft(short.claim(token, ttl, value=mine), True):
            return True
        owner = await session.soft(short.get_claim(token), DONE)
        if owner is None or (owner.startswith("run:") and owner != mine and not await session.soft(
                short.get_claim(f"alive:{owner[4:]}"), "1")):
            log.warning("taking over a turn whose process stopped answering")
            await session.soft(short.set_claim(token, mine, ttl), None)
            return True
        return False

    def _start_heartbeat(self, session: Session) -> None:
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._beat(session), name="botcore-heartbeat")

    async def _beat(self, session: Session) -> None:
        every = min(HEARTBEAT_S, max(0.5, session.settings.handoff_timeout_s / 4))

        async def beat() -> None:
            await session.soft(session.short_term.set_claim(f"alive:{self.instance}", "1",
                                                            HEARTBEAT_S * 3), None)
            await self.handoff.sweep()  # a failed sweep is logged; the heartbeat goes on

        await run_every(every, beat, "handoff sweep")
