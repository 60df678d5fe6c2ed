"""Stage: once a message is answered, what it taught is stored in the background.

Stated facts (with embeddings) are added to long-term memory, and every few turns the rolling
summary is brought up to date. A message flagged as prompt injection teaches no facts (they would
sit in every later prompt). Failures here are logged, never shown: the answer is already out.
"""

from __future__ import annotations

import logging

from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn
from botcore.errors import InferenceError, StorageError
from botcore.inference.base import ModelExecutor
from botcore.memory.base import Turn as Said
from botcore.memory.facts import extract_facts
from botcore.memory.recall import extractive_summary
from botcore.memory.sql_store import fact_scope
from botcore.messages import ConversationKey
from botcore.safety import is_injection

log = logging.getLogger(__name__)

SUMMARY_EVERY = 4
"""Check whether a rolling summary is due once every this many turns of a conversation."""


class Remember:
    """After the answer is persisted, learn from the message in the background.

    Args:
        executor: embeds the facts (they are stored without when it cannot).
    """

    def __init__(self, executor: ModelExecutor) -> None:
        self.executor = executor

    async def __call__(self, turn: Turn, session: Session, call_next: Next) -> None:
        await call_next(turn)
        if turn.answer is None or turn.stored is None or turn.understanding is None:
            return
        message, key, text, message_id = turn.message, turn.key, turn.text, turn.stored.id
        flagged = is_injection(text, turn.understanding.safety)
        facts = extract_facts(text) if message.chat_type != "channel" and not flagged else []
        scope = fact_scope(message)

        async def store() -> None:
            try:
                if facts:
                    vectors = await self._embed_or_none([f.text for f in facts])
                    for i, fact in enumerate(facts):
                        await session.sql(lambda f=fact, i=i: session.long_term.add_fact(  # type: ignore[misc]
                            message.platform, message.user_id, f.text,
                            source_message_id=message_id,
                            embedding=vectors[i] if vectors else None, scope=scope))
                        if fact.name and key.user_id is not None:  # not a shared group's state
                            await session.set_state(key, {"user_name": fact.name})
                count = (session.since_summary.get(str(key)) or 0) + 1
                session.since_summary.set(str(key), count % SUMMARY_EVERY)
                if count >= SUMMARY_EVERY:  # every few turns, not on each one
                    await _roll_summary(session, key)
                session.recall_cache.pop((str(key), message.platform, message.user_id))
            except StorageError as exc:
                log.warning("could not update long-term memory: %s", exc)

        session.spawn(store())

    async def _embed_or_none(self, texts: list[str]) -> list[list[float]] | None:
        try:
            return await self.executor.embed(texts)
        except InferenceError as exc:
            log.warning("could not embed facts (stored without): %s", exc)
            return None


async def _roll_summary(session: Session, key: ConversationKey) -> None:
    """When enough turns have left the prompt window, summarize them."""
    window, sql = session.settings.recent_turns, session.long_term
    latest = await sql.latest_summary(key)
    upto = latest[1] if latest else 0
    pending = await sql.turns_between(key, upto, 4 * window)
    if len(pending) < 2 * window:
        return
    older = pending[:-window]
    previous = latest[0].removeprefix("The user said: ") + " | " if latest else ""
    text = extractive_summary([*([Said("user", previous.rstrip(" |"))] if previous else []),
                               *(t for _, t in older)])
    if text:
        await sql.add_summary(key, text, older[-1][0])
