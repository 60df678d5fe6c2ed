"""Embedding search over the knowledge base, with a confidence threshold.

Every phrasing of every entry is embedded with the shared model's retrieval embedding; an entry
scores the best cosine similarity of its phrasings. Below ``threshold`` the answer is "I don't
know" (``None``), never a guess. Once ``botctl faq train`` has trained a model of this knowledge
base (:mod:`botcore.faq.training`), that model and its calibrated threshold answer instead; a
newly activated version is picked up at the next check (every ``ttl_s``), without a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import numpy as np

from botcore.faq import store as faq_store
from botcore.faq import training
from botcore.faq.formats import FaqRecord
from botcore.faq.kbmodel import KbModel
from botcore.inference.base import ModelExecutor
from botcore.memory.stores import SqlAccess


@dataclass(frozen=True, slots=True)
class FaqAnswer:
    """The best entry for a question and how sure we are."""

    id: str | None
    answer: str | None
    score: float
    url: str | None = None
    question: str | None = None


log = logging.getLogger(__name__)


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=False))


class FaqIndex:
    """An in-memory index, rebuilt when the knowledge base changes (checked every ``ttl_s``)."""

    def __init__(self, store: SqlAccess, executor: ModelExecutor, *, threshold: float = 0.50,
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
        self._model: KbModel | None = None
        self._model_version: int | None = None
        self._model_seen: int | None = None

    @property
    def model_version(self) -> int | None:
        """The trained knowledge-base model in use (``botctl faq train``), or None (untuned)."""
        return self._model_version if self._model is not None else None

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
            await self._load_model(rev)
            self._checked = time.monotonic()

    async def _load_model(self, rev: tuple[int, str]) -> None:
        """Use the active trained model when it was trained on this knowledge base revision with
        this encoder; otherwise search untuned."""
        active = await training.active_model(self.store)
        if active is None or active[1] != training.revision_key(rev):
            if active is not None and self._model_seen != active[0]:
                log.warning("faq model v%s was trained on another version of the knowledge base; "
                            "run `botctl faq train` (searching untuned meanwhile)", active[0])
                self._model_seen = active[0]
            self._model, self._model_version = None, None
            return
        if active[0] == self._model_version and self._model is not None:
            return
        loaded = await training.load_model(self.store, active[0])
        if loaded is None:
            return
        model, probe = loaded
        now = (await self.executor.embed([training.PROBE]))[0]
        same = len(now) == len(probe) and float(np.dot(np.asarray(now), probe) / max(
            1e-9, float(np.linalg.norm(now)) * float(np.linalg.norm(probe)))) >= training.SAME_ENCODER
        if not same:
            log.warning("faq model v%s was trained with another encoder; run `botctl faq train` "
                        "(searching untuned meanwhile)", active[0])
            self._model, self._model_version = None, None
            return
        self._model, self._model_version = model, active[0]
        log.info("faq model v%s loaded (threshold %.3f)", active[0], model.threshold)

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
        if self._model is not None:
            return self._classify(vec)
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

    def _classify(self, vec: list[float]) -> FaqAnswer:
        model = self._model
        assert model is not None
        best, conf = model.predict(np.asarray([vec], dtype=np.float32))
        eid, score = model.entry_ids[int(best[0])], float(conf[0])
        entry = self._entries.get(eid)
        if entry is None or score < model.threshold:
            return FaqAnswer(None, None, round(score, 4))
        return FaqAnswer(eid, entry.answer, round(score, 4), entry.url,
                         entry.questions[0] if entry.questions else None)
