"""English and Chinese side by side: the evaluation sets beyond the hand-written test split.

- real Chinese comments (COLD held-out): abuse precision/recall at the shipped decision point,
  the best recall reachable at precision ≥ 0.75, and the share of safe comments routed to the tutor;
- Chinese maths word problems → tutor; real small talk (English and Chinese) → companion;
- cross-lingual FAQ retrieval: Chinese questions against the English knowledge base.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from workers.evaluation.metrics import binary_pr, mrr, recall_at_k
from workers.evaluation.retrieval import rank_entries
from workers.model.encoder import Encoder
from workers.training.data import FaqEntry
from workers.training.examples import Example

TARGET_PRECISION = 0.75


def recall_at_precision(gold: Sequence[bool], scores: Sequence[float],
                        precision: float = TARGET_PRECISION) -> dict[str, float]:
    """The highest recall whose precision is ≥ ``precision``, and the score threshold giving it."""
    pairs = sorted(zip(scores, gold, strict=True), key=lambda x: -x[0])
    positives = sum(gold)
    best = {"recall": 0.0, "precision": 0.0, "threshold": 1.0}
    tp = 0
    for k, (score, g) in enumerate(pairs, start=1):
        tp += g
        p, r = tp / k, tp / positives if positives else 0.0
        if p >= precision and r > best["recall"]:
            best = {"recall": r, "precision": p, "threshold": float(score)}
    return best


def _routes(encoder: Encoder, examples: Sequence[Example]) -> list[str]:
    out = encoder.outputs([e.text for e in examples])
    return [encoder.spec.skills[int(i)] for i in out.skill.argmax(dim=1)]


def evaluate_sets(encoder: Encoder, sets: dict[str, list[Example]],
                  faq_en: Sequence[FaqEntry], faq_zh: Sequence[FaqEntry]) -> dict[str, Any]:
    """Every figure of the evaluation sets (see the module docstring)."""
    result: dict[str, Any] = {}
    cold = sets.get("cold_heldout") or []
    if cold:
        out = encoder.outputs([e.text for e in cold])
        j = encoder.spec.safety_labels.index("abuse")
        gold = ["abuse" in (e.safety or ()) for e in cold]
        scores = [float(p) for p in out.safety[:, j]]
        routes = [encoder.spec.skills[int(i)] for i in out.skill.argmax(dim=1)]
        safe = [r for r, g in zip(routes, gold, strict=True) if not g]
        result["cold_heldout"] = {
            "n": len(cold), "offensive": sum(gold),
            "abuse": binary_pr(gold, [s >= 0.5 for s in scores]),
            "abuse_best_at_precision_0.75": recall_at_precision(gold, scores),
            "safe_routed": {k: v / len(safe) for k, v in sorted(Counter(safe).items())},
            "safe_to_tutor": safe.count("tutor") / len(safe) if safe else 0.0,
        }
    for name, skill in (("maths_zh", "tutor"), ("smalltalk_en", "companion"),
                        ("smalltalk_zh", "companion")):
        items = sets.get(name) or []
        if items:
            routes = _routes(encoder, items)
            result[name] = {"n": len(items), "to": skill,
                            "share": routes.count(skill) / len(items),
                            "routed": {k: v / len(items) for k, v in sorted(Counter(routes).items())}}
    if faq_en and faq_zh:
        queries = [q for e in faq_zh for q in e.query_questions]
        gold_ids = [e.id for e in faq_zh for _ in e.query_questions]
        cross: dict[str, Any] = {"queries": len(queries), "entries": len(faq_en)}
        for name, original in (("tuned", False), ("baseline", True)):
            ranked = rank_entries(encoder, faq_en, queries, original_trunk=original)
            cross[name] = {"recall@1": recall_at_k(gold_ids, ranked, 1),
                           "recall@5": recall_at_k(gold_ids, ranked, 5),
                           "mrr": mrr(gold_ids, ranked)}
        result["retrieval_zh_to_en"] = cross
    return result
