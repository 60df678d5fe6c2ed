"""Embedding search over the knowledge base, with a confidence threshold.

Every phrasing of every entry is embedded with the shared model's retrieval embedding; an entry
scores the best cosine similarity of its phrasings. Below ``threshold`` the answer is "I don't
know" (``None``), never a guess.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from botcore.faq import store as faq_store
from botcore.faq.formats import FaqRecord
from botcore.inference.base import ModelExecutor
from botcore.memory.sql_store import SqlMemory


@dataclass(frozen=True, slots=True)
class FaqAnswer:
    """The best entry for a question and how sure we are."""

    id: str | None
    answer: str | None
    score: float
    url: str | None = None
    question: str | None = None


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=False))


class FaqIndex:
    """An in-memory index, rebuilt when the knowledge base changes (checked every ``ttl_s``)."""

    def __init__(self, store: SqlMemory, executor: ModelExecutor, *, threshold: float = 0.50,
                 ttl_s: float = 30.0) -> None:
        self.store = store
        self.executor = executor
        self.threshold = threshold
        self.ttl_s = ttl_s
        self._entries: dict[str, FaqRecord] = {}
        self._rows: list[tuple[str, str, list[float]]] = []
        self._revision: tuple[int, str] | None = None
        self._checked = 0.0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """Force a reload on the next search (after an import)."""
        self._checked = 0.0
        self._revision = None

    async def _refresh(self) -> None:
        if time.monotonic() - self._checked < self.ttl_s and self._revision is not None:
            return
        async with self._lock:
            if time.monotonic() - self._checked < self.ttl_s and self._revision is not None:
                return
            rev = await faq_store.revision(self.store)
            if rev != self._revision:
                entries = await faq_store.all_entries(self.store)
                pairs = [(e.id, q) for e in entries for q in e.questions]
                vectors = await self.executor.embed([q for _, q in pairs]) if pairs else []
                self._entries = {e.id: e for e in entries}
                self._rows = [(eid, q, v) for (eid, q), v in zip(pairs, vectors, strict=True)]
                self._revision = rev
            self._checked = time.monotonic()

    @property
    def size(self) -> int:
        """Number of entries indexed."""
        return len(self._entries)

    async def search(self, question: str, *, embedding: list[float] | None = None) -> FaqAnswer:
        """The best entry, or an answer with ``id=None`` when below the threshold."""
        await self._refresh()
        if not self._rows:
            return FaqAnswer(None, None, 0.0)
        vec = embedding if embedding is not None else (await self.executor.embed([question]))[0]
        best: dict[str, tuple[float, str]] = {}
        for eid, q, v in self._rows:
            score = _dot(vec, v)
            if eid not in best or score > best[eid][0]:
                best[eid] = (score, q)
        eid, (score, q) = max(best.items(), key=lambda kv: kv[1][0])
        if score < self.threshold:
            return FaqAnswer(None, None, round(score, 4))
        entry = self._entries[eid]
        return FaqAnswer(eid, entry.answer, round(score, 4), entry.url, q)
