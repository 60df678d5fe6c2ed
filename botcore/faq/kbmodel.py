"""A model of one team's knowledge base, trained on its own example questions (numpy only).

The shared trunk gives every question an embedding (whatever encoder is configured: this module
only sees vectors). On top of it, a softmax classifier over the knowledge-base entries is trained
on the entries' example questions (weights start at the entries' centroids, so training begins
from nearest-centroid retrieval and moves the boundaries between neighbouring entries where their
examples get confused — the hard negatives of a softmax are the nearby entries). The answer's
confidence is the mean of the winning entry's probability and its raw score (the logit over the
scale, a cosine-like similarity to the learned entry vector): the probability alone is
overconfident far from every entry, the raw score alone between two close entries
(bench/README.md, "FAQ on a team's own knowledge base", compares the variants).

The refusal threshold is calibrated on the knowledge base itself (:func:`calibrate`): held-out
example questions of every entry are the in-scope validation set; two out-of-scope sets are
scored: a few generic everyday questions, and whole entries left out of training (K folds over
entries: questions near the domain that the model has no entry for — far harder than what users
actually ask off-topic). The threshold is the lowest one that refuses at least ``target_refusal``
of the generic questions and ``target_refusal - NEAR_MARGIN`` of the left-out entries' questions;
the in-scope accuracy there is reported. On the benchmark knowledge base this rule refuses about
90 % of real out-of-scope questions at a 0.95 target (bench/README.md).
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

import numpy as np

METHOD = "softmax-centroid"
SCALE = 10.0
"""Logit scale: cosines live in [-1, 1]; the softmax needs a wider range."""
NEAR_MARGIN = 0.25
"""How much less of the left-out entries' questions must be refused than of generic ones."""
Progress = Callable[[int, int], None]


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-9)


@dataclass
class KbModel:
    """Entry weights over the trunk's embedding space, and the calibrated threshold."""

    entry_ids: list[str]
    weights: np.ndarray
    bias: np.ndarray
    threshold: float = 0.5
    metrics: dict[str, Any] = field(default_factory=dict)

    def predict(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best entry index and confidence for each row of ``vectors``."""
        x = _unit(np.atleast_2d(vectors).astype(np.float32))
        logits = SCALE * x @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        best = probs.argmax(axis=1)
        rows = np.arange(len(x))
        raw = (SCALE * x @ self.weights.T + self.bias)[rows, best] / SCALE
        return best, 0.5 * probs[rows, best] + 0.5 * raw

    def to_bytes(self) -> bytes:
        """The ``.npz`` artifact stored in SQL."""
        buf = io.BytesIO()
        np.savez_compressed(buf, weights=self.weights, bias=self.bias,
                            entry_ids=np.array(self.entry_ids, dtype=str),
                            threshold=np.array(self.threshold))
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> KbModel:
        """Load an artifact written by :meth:`to_bytes`."""
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return cls([str(e) for e in z["entry_ids"]], z["weights"], z["bias"],
                       float(z["threshold"]))


def fit(vectors: np.ndarray, labels: np.ndarray, n_entries: int, *, epochs: int = 150,
        lr: float = 0.05, l2: float = 1e-3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Train the classifier (full-batch Adam on cross-entropy, weights start at the centroids)."""
    x = _unit(vectors.astype(np.float32))
    d = x.shape[1]
    w = np.zeros((n_entries, d), dtype=np.float32)
    for k in range(n_entries):
        mine = x[labels == k]
        if len(mine):
            w[k] = mine.mean(axis=0)
    w = _unit(w)
    w0 = w.copy()
    b = np.zeros(n_entries, dtype=np.float32)
    onehot = np.eye(n_entries, dtype=np.float32)[labels]
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b, v_b = np.zeros_like(b), np.zeros_like(b)
    rng = np.random.default_rng(seed)
    for t in range(1, epochs + 1):
        noise = rng.normal(0, 0.01, size=x.shape).astype(np.float32)  # a little augmentation
        xi = x + noise
        logits = SCALE * xi @ w.T + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) / len(x)
        gw = SCALE * g.T @ xi + l2 * (w - w0)
        gb = g.sum(axis=0)
        for param, grad, m_, v_ in ((w, gw, m_w, v_w), (b, gb, m_b, v_b)):
            m_ *= 0.9
            m_ += 0.1 * grad
            v_ *= 0.999
            v_ += 0.001 * grad * grad
            param -= lr * (m_ / (1 - 0.9 ** t)) / (np.sqrt(v_ / (1 - 0.999 ** t)) + 1e-8)
    return w, b


def build(vectors: np.ndarray, labels: np.ndarray, entry_ids: Sequence[str],
          **kw: Any) -> KbModel:
    """Train on all examples."""
    w, b = fit(vectors, labels, len(entry_ids), **kw)
    return KbModel(list(entry_ids), w, b)


def split(labels: np.ndarray, *, val_share: float = 0.2, seed: int = 0
          ) -> tuple[np.ndarray, np.ndarray]:
    """Per entry, hold out ``val_share`` of its examples (at least one when it has 3 or more)."""
    rng = random.Random(seed)
    train, val = [], []
    for k in sorted(set(labels.tolist())):
        idx = [i for i, y in enumerate(labels.tolist()) if y == k]
        rng.shuffle(idx)
        n_val = max(1, round(len(idx) * val_share)) if len(idx) >= 3 else 0
        val += idx[:n_val]
        train += idx[n_val:]
    return np.array(sorted(train), dtype=int), np.array(sorted(val), dtype=int)


class OperatingPointJson(TypedDict):
    """An :class:`OperatingPoint` as stored with a model and printed (rounded)."""

    threshold: float
    accuracy: float
    wrong: float
    out_of_scope_refused: float
    near_domain_refused: float
    top1: float
    n_val: int
    n_out: int


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """The chosen threshold and what it does on the knowledge base's own validation split."""

    threshold: float
    accuracy: float
    """Held-out example questions answered with the right entry (refusals count as wrong)."""
    wrong: float
    out_of_scope_refused: float
    """Share of the generic out-of-scope questions refused."""
    near_domain_refused: float
    """Share of the left-out entries' questions refused."""
    top1: float
    """Right entry ignoring the threshold."""
    n_val: int
    n_out: int

    def as_dict(self) -> OperatingPointJson:
        """JSON-ready."""
        return {"threshold": round(self.threshold, 4), "accuracy": round(self.accuracy, 4),
                "wrong": round(self.wrong, 4),
                "out_of_scope_refused": round(self.out_of_scope_refused, 4),
                "near_domain_refused": round(self.near_domain_refused, 4),
                "top1": round(self.top1, 4), "n_val": self.n_val, "n_out": self.n_out}


def _refusing(scores: np.ndarray, share: float) -> float:
    """The lowest threshold that refuses ``share`` of ``scores`` (refused: score < threshold)."""
    if not len(scores):
        return -1.0
    q = np.sort(scores)
    return float(q[min(len(q) - 1, max(0, math.ceil(share * len(q)) - 1))]) + 1e-6


def choose_threshold(right: np.ndarray, conf: np.ndarray, generic: np.ndarray,
                     near: np.ndarray, target_refusal: float) -> OperatingPoint:
    """The lowest threshold refusing ≥ ``target_refusal`` of ``generic`` and ≥ ``target_refusal
    - NEAR_MARGIN`` of ``near`` (so the most in-scope questions are answered)."""
    threshold = max(_refusing(generic, target_refusal),
                    _refusing(near, max(0.0, target_refusal - NEAR_MARGIN)))
    if not len(generic) and not len(near):
        threshold = float(np.quantile(conf, 0.05)) if len(conf) else 0.5
    answered = conf >= threshold
    n = max(1, len(conf))
    return OperatingPoint(threshold, float((right & answered).sum() / n),
                          float((~right & answered).sum() / n),
                          float((generic < threshold).mean()) if len(generic) else 1.0,
                          float((near < threshold).mean()) if len(near) else 1.0,
                          float(right.mean()) if len(right) else 0.0, len(conf),
                          len(generic) + len(near))


def calibrate(vectors: np.ndarray, labels: np.ndarray, entry_ids: Sequence[str],
              negatives: np.ndarray | None = None, *, target_refusal: float = 0.95,
              folds: int = 5, seed: int = 0, progress: Progress | None = None) -> OperatingPoint:
    """Choose the refusal threshold on the knowledge base's own held-out questions (see the
    module docstring). ``negatives``: embeddings of generic out-of-scope questions."""
    n = len(entry_ids)
    train, val = split(labels, seed=seed)
    steps = 1 + min(folds, n)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, steps)

    model = build(vectors[train], labels[train], entry_ids, seed=seed)
    best, conf = model.predict(vectors[val]) if len(val) else (np.array([]), np.array([]))
    right = best == labels[val]
    generic = (model.predict(negatives)[1] if negatives is not None and len(negatives)
               else np.array([]))
    outs: list[np.ndarray] = []
    tick()
    order = list(range(n))
    random.Random(seed).shuffle(order)
    k = min(folds, n) if n >= 4 else 0
    for f in range(k):
        left_out = set(order[f::k])
        keep = [i for i in train if labels[i] not in left_out]
        probe = [i for i in range(len(labels)) if labels[i] in left_out]
        kept_ids = sorted({int(labels[i]) for i in keep})
        remap = {old: new for new, old in enumerate(kept_ids)}
        sub = build(vectors[keep], np.array([remap[int(labels[i])] for i in keep]),
                    [entry_ids[i] for i in kept_ids], seed=seed)
        outs.append(sub.predict(vectors[probe])[1])
        tick()
    near = np.concatenate(outs) if outs else np.array([])
    return choose_threshold(right, conf, generic, near, target_refusal)
