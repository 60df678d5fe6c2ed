"""Plain-Python metrics: classification, retrieval and generation (no model needed)."""

from __future__ import annotations

from collections.abc import Sequence

from workers.model.textproc import distinct_n, repetition_rate

__all__ = ["accuracy", "binary_pr", "bleu", "classification_report", "confusion_matrix",
           "distinct_n", "lcs_length", "mrr", "recall_at_k", "repetition_rate", "rouge_l"]


def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Share of exact matches."""
    return sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def classification_report(gold: Sequence[str], pred: Sequence[str],
                          labels: Sequence[str]) -> dict[str, object]:
    """Accuracy, per-label and macro precision/recall/F1.

    Returns:
        ``{"accuracy", "macro_precision", "macro_recall", "macro_f1", "per_label": {label: {...}}}``
    """
    per: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, pred, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, pred, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, pred, strict=True))
        p, r, f = _prf(tp, fp, fn)
        per[label] = {"precision": p, "recall": r, "f1": f, "support": float(tp + fn)}
    n = len(labels) or 1
    return {
        "accuracy": accuracy(gold, pred),
        "macro_precision": sum(v["precision"] for v in per.values()) / n,
        "macro_recall": sum(v["recall"] for v in per.values()) / n,
        "macro_f1": sum(v["f1"] for v in per.values()) / n,
        "per_label": per,
    }


def confusion_matrix(gold: Sequence[str], pred: Sequence[str],
                     labels: Sequence[str]) -> list[list[int]]:
    """Rows are gold labels, columns predictions, in ``labels`` order."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred, strict=True):
        matrix[index[g]][index[p]] += 1
    return matrix


def binary_pr(gold: Sequence[bool], pred: Sequence[bool]) -> dict[str, float]:
    """Precision, recall and F1 of the positive class."""
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    p, r, f = _prf(tp, fp, fn)
    return {"precision": p, "recall": r, "f1": f, "support": float(tp + fn)}


def recall_at_k(gold: Sequence[str], ranked: Sequence[Sequence[str]], k: int) -> float:
    """Share of queries whose gold id is among the first ``k`` ranked ids."""
    hits = sum(g in list(r)[:k] for g, r in zip(gold, ranked, strict=True))
    return hits / len(gold) if gold else 0.0


def mrr(gold: Sequence[str], ranked: Sequence[Sequence[str]]) -> float:
    """Mean reciprocal rank of the gold id (0 for a miss)."""
    total = 0.0
    for g, r in zip(gold, ranked, strict=True):
        items = list(r)
        total += 1.0 / (items.index(g) + 1) if g in items else 0.0
    return total / len(gold) if gold else 0.0


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (dynamic programming, O(len(a)·len(b)))."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def rouge_l(candidate: str, reference: str, beta: float = 1.2) -> float:
    """ROUGE-L F-measure on lower-cased whitespace tokens (Lin, 2004)."""
    c, r = candidate.lower().split(), reference.lower().split()
    lcs = lcs_length(c, r)
    if lcs == 0:
        return 0.0
    p, rec = lcs / len(c), lcs / len(r)
    return (1 + beta**2) * p * rec / (rec + beta**2 * p)


def bleu(candidates: Sequence[str], references: Sequence[str]) -> float:
    """Corpus BLEU (sacrebleu, 0–100) of candidates against one reference each."""
    import sacrebleu

    return float(sacrebleu.corpus_bleu(list(candidates), [list(references)]).score)
