"""FAQ retrieval: rank knowledge-base entries for held-out phrasings, tuned vs untuned trunk."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from workers.evaluation.metrics import mrr, recall_at_k
from workers.model.encoder import Encoder
from workers.training.data import FaqEntry


def rank_entries(encoder: Encoder, entries: Sequence[FaqEntry], queries: Sequence[str],
                 original_trunk: bool = False) -> list[list[str]]:
    """Entry ids ranked for each query by the best cosine to any indexed phrasing of the entry."""
    index = [(e.id, q) for e in entries for q in e.train_questions]
    doc = torch.tensor(encoder.embed([q for _, q in index], original_trunk))
    qry = torch.tensor(encoder.embed(list(queries), original_trunk))
    sims = qry @ doc.T
    ids = sorted({e.id for e in entries})
    col = {entry_id: [j for j, (e, _) in enumerate(index) if e == entry_id] for entry_id in ids}
    best = torch.stack([sims[:, col[i]].max(dim=1).values for i in ids], dim=1)
    order = best.argsort(dim=1, descending=True)
    return [[ids[int(j)] for j in row] for row in order]


def evaluate_retrieval(encoder: Encoder, entries: Sequence[FaqEntry]) -> dict[str, Any]:
    """Recall@1/@5 and MRR of the held-out phrasings, tuned trunk vs the bare encoder."""
    gold = [e.id for e in entries for _ in e.query_questions]
    queries = [q for e in entries for q in e.query_questions]
    result: dict[str, Any] = {"queries": len(queries), "entries": len(entries)}
    for name, original in (("tuned", False), ("baseline", True)):
        ranked = rank_entries(encoder, entries, queries, original_trunk=original)
        result[name] = {"recall@1": recall_at_k(gold, ranked, 1),
                        "recall@5": recall_at_k(gold, ranked, 5), "mrr": mrr(gold, ranked)}
    return result
