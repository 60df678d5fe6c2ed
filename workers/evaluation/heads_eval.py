"""Held-out evaluation of the heads: skill routing, safety, emotion."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workers.evaluation.metrics import binary_pr, classification_report, confusion_matrix
from workers.model.encoder import Encoder
from workers.training.examples import Example


def evaluate_heads(encoder: Encoder, examples: Sequence[Example]) -> dict[str, Any]:
    """Metrics of every head on the examples labelled for it.

    Safety flags use the per-label thresholds of the checkpoint (0.5 by default).

    Returns:
        ``{"skill": {... , "confusion": [[...]], "labels": [...]}, "safety": {label: P/R/F1},
        "emotion": {...}, "n": int}``
    """
    spec = encoder.spec
    out = encoder.outputs([ex.text for ex in examples])
    report: dict[str, Any] = {"n": len(examples)}

    rows = [i for i, ex in enumerate(examples) if ex.skill in spec.skills]
    if rows:
        gold = [str(examples[i].skill) for i in rows]
        pred = [spec.skills[int(out.skill[i].argmax())] for i in rows]
        report["skill"] = classification_report(gold, pred, spec.skills) | {
            "labels": list(spec.skills), "confusion": confusion_matrix(gold, pred, spec.skills)}

    rows = [i for i, ex in enumerate(examples) if ex.safety is not None]
    safety: dict[str, Any] = {}
    for j, label in enumerate(spec.safety_labels):
        threshold = spec.safety_thresholds.get(label, 0.5)
        gold_b = [label in (examples[i].safety or ()) for i in rows]
        pred_b = [float(out.safety[i, j]) >= threshold for i in rows]
        safety[label] = binary_pr(gold_b, pred_b) | {"threshold": threshold}
    if rows:
        report["safety"] = safety

    rows = [i for i, ex in enumerate(examples) if ex.emotion in spec.emotions]
    if rows:
        gold = [str(examples[i].emotion) for i in rows]
        pred = [spec.emotions[int(out.emotion[i].argmax())] for i in rows]
        report["emotion"] = classification_report(gold, pred, spec.emotions)
    return report


def selection_score(report: dict[str, Any]) -> float:
    """One number to pick the best epoch: skill macro-F1 + mean safety F1 + emotion accuracy."""
    score = float(report.get("skill", {}).get("macro_f1", 0.0))
    safety = report.get("safety", {})
    if safety:
        score += sum(float(v["f1"]) for v in safety.values()) / len(safety)
    return score + 0.5 * float(report.get("emotion", {}).get("accuracy", 0.0))
