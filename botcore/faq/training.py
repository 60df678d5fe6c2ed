"""``botctl faq train``: fit a model to the imported knowledge base and store it as a version.

The embeddings come from the configured executor (``executor.embed``: the shared trunk, in this
process or on the workers), so this works with whatever encoder the deployment runs; a probe
sentence's embedding is stored with the model, and a bot whose encoder gives another vector for
it ignores the model (untuned search with ``BOTCORE_FAQ_THRESHOLD``) until it is retrained.
Versions are rows of ``faq_models``; the newest trained one is active, and bot processes pick it
up on their next knowledge-base check (every 30 s) without a restart.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import select, update

from botcore.errors import InputError
from botcore.faq import kbmodel
from botcore.faq import store as faq_store
from botcore.faq.kbmodel import OperatingPointJson
from botcore.inference.base import ModelExecutor
from botcore.memory import sql_models as m
from botcore.memory.stores import SqlAccess

log = logging.getLogger(__name__)

PROBE = "How do I reset my password? / 我怎么重置密码？"
"""Embedded at training and at load: the same vector means the same encoder."""
SAME_ENCODER = 0.98
EMBED_BATCH = 64
GENERIC_OUT_OF_SCOPE = (
    "what's the weather going to be like this weekend?", "tell me something funny",
    "who wrote romeo and juliet?", "how many planets are in the solar system?",
    "can you help me with my maths homework?", "what should I cook for dinner tonight?",
    "I'm feeling a bit sad today", "write a short story about a dragon",
    "what is the population of canada?", "how do I tie a tie?", "good morning!",
    "what's the best football team?", "how do I say thank you in japanese?",
    "recommend me a song", "what is machine learning?", "how old is the universe?",
    "明天会下雨吗", "给我讲个故事", "你喜欢什么颜色", "怎么做红烧肉", "今天好累啊", "地球离太阳多远",
)
"""Everyday questions no customer-service knowledge base answers (calibration negatives)."""
Progress = Callable[[str, int, int], None]


async def _embed(executor: ModelExecutor, texts: list[str],
                 progress: Progress | None) -> np.ndarray:
    out: list[list[float]] = []
    for start in range(0, len(texts), EMBED_BATCH):
        out.extend(await executor.embed(texts[start:start + EMBED_BATCH]))
        if progress is not None:
            progress("embedding", min(len(texts), start + EMBED_BATCH), len(texts))
    return np.asarray(out, dtype=np.float32)


def revision_key(rev: tuple[int, str]) -> str:
    """The knowledge-base revision as stored with a model."""
    return f"{rev[0]}@{rev[1]}"


class FaqModelMetrics(OperatingPointJson):
    """What is stored with a trained FAQ model: its operating point and what it learned from."""

    entries: int
    examples: int
    target_refusal: float
    dim: int


class FaqTrainReport(FaqModelMetrics):
    """What ``botctl faq train --json`` prints: the new version and its metrics."""

    version: int
    method: str


async def train(store: SqlAccess, executor: ModelExecutor, *, target_refusal: float = 0.95,
                progress: Progress | None = None) -> FaqTrainReport:
    """Train, calibrate and store a model of the knowledge base; returns the version's report.

    Raises:
        InputError: fewer than two entries, or too few example questions to learn from.
    """
    if not 0.5 <= target_refusal < 1.0:
        raise InputError("the out-of-scope refusal target must be between 0.5 and 1")
    entries = await faq_store.all_entries(store)
    pairs = [(i, q) for i, e in enumerate(entries) for q in e.questions]
    if len(entries) < 2 or len(pairs) < 2 * len(entries):
        raise InputError("the knowledge base needs at least 2 entries with 2 example questions "
                         "each to train on (import one with `botctl faq import`)")
    rev = await faq_store.revision(store)
    texts = [q for _, q in pairs] + list(GENERIC_OUT_OF_SCOPE) + [PROBE]
    vectors = await _embed(executor, texts, progress)
    n = len(pairs)
    x, negatives, probe = vectors[:n], vectors[n:-1], vectors[-1]
    labels = np.array([i for i, _ in pairs], dtype=np.int64)
    ids = [e.id for e in entries]

    def fit() -> tuple[kbmodel.KbModel, kbmodel.OperatingPoint]:
        point = kbmodel.calibrate(x, labels, ids, negatives, target_refusal=target_refusal,
                                  progress=(lambda d, t: progress("calibrating", d, t))
                                  if progress is not None else None)
        model = kbmodel.build(x, labels, ids)
        model.threshold = point.threshold
        return model, point

    model, point = await asyncio.to_thread(fit)
    buf = io.BytesIO()
    np.save(buf, probe)
    metrics: FaqModelMetrics = {**point.as_dict(), "entries": len(entries), "examples": n,
               "target_refusal": target_refusal, "dim": int(x.shape[1])}
    async with store.session() as s:
        await s.execute(update(m.FaqModel).values(active=False))
        row = m.FaqModel(kb_revision=revision_key(rev), encoder=f"{x.shape[1]}d",
                         method=kbmodel.METHOD, threshold=point.threshold, metrics=metrics,
                         params=model.to_bytes() + b"PROBE" + buf.getvalue(), active=True)
        s.add(row)
        await s.flush()
        version = row.id
    log.info("faq model v%s trained: %s", version, metrics)
    if progress is not None:
        progress("done", 1, 1)
    return {"version": version, "method": kbmodel.METHOD, **metrics}


async def active_model(store: SqlAccess) -> tuple[int, str, float] | None:
    """``(version, kb_revision, threshold)`` of the active model, or None."""
    async with store.session() as s:
        row = (await s.execute(select(m.FaqModel.id, m.FaqModel.kb_revision, m.FaqModel.threshold)
                               .where(m.FaqModel.active.is_(True))
                               .order_by(m.FaqModel.id.desc()).limit(1))).first()
    return (int(row[0]), str(row[1]), float(row[2])) if row else None


async def load_model(store: SqlAccess, version: int) -> tuple[kbmodel.KbModel, np.ndarray] | None:
    """The model of ``version`` and its probe embedding."""
    async with store.session() as s:
        row = await s.get(m.FaqModel, version)
        if row is None:
            return None
        data = bytes(row.params)
        threshold = float(row.threshold)
    params, _, probe = data.partition(b"PROBE")
    model = kbmodel.KbModel.from_bytes(params)
    model.threshold = threshold
    return model, np.load(io.BytesIO(probe), allow_pickle=False)


async def list_models(store: SqlAccess, limit: int = 20) -> list[dict[str, Any]]:
    """Trained versions, newest first."""
    async with store.session() as s:
        rows = (await s.execute(select(m.FaqModel).order_by(m.FaqModel.id.desc())
                                .limit(limit))).scalars().all()
        return [{"version": r.id, "active": r.active, "method": r.method,
                 "threshold": round(r.threshold, 4), "kb_revision": r.kb_revision,
                 "created_at": r.created_at.isoformat(timespec="seconds"),
                 **(r.metrics or {})} for r in rows]
