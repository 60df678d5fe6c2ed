"""Metrics against hand-computed values."""

from __future__ import annotations

import pytest

from workers.evaluation.metrics import (
    bleu,
    classification_report,
    confusion_matrix,
    lcs_length,
    mrr,
    recall_at_k,
    rouge_l,
)


def test_precision_recall_f1_by_hand() -> None:
    gold = ["a", "a", "a", "b", "b", "c"]
    pred = ["a", "a", "b", "b", "c", "c"]
    rep = classification_report(gold, pred, ["a", "b", "c"])
    per = rep["per_label"]
    assert per["a"]["precision"] == 1.0 and per["a"]["recall"] == pytest.approx(2 / 3)
    assert per["b"]["precision"] == 0.5 and per["b"]["recall"] == 0.5
    assert per["c"]["precision"] == 0.5 and per["c"]["recall"] == 1.0
    assert per["c"]["f1"] == pytest.approx(2 / 3)
    assert rep["accuracy"] == pytest.approx(4 / 6)
    assert rep["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert confusion_matrix(gold, pred, ["a", "b", "c"]) == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]


def test_recall_at_k_and_mrr() -> None:
    gold = ["x", "y", "z"]
    ranked = [["x", "y"], ["x", "z", "y"], ["a", "b"]]
    assert recall_at_k(gold, ranked, 1) == pytest.approx(1 / 3)
    assert recall_at_k(gold, ranked, 3) == pytest.approx(2 / 3)
    assert mrr(gold, ranked) == pytest.approx((1 + 1 / 3 + 0) / 3)


def test_rouge_l_by_hand() -> None:
    assert lcs_length("a b c d e".split(), "a c e f".split()) == 3
    # LCS "the cat the" = 3... P = 3/4, R = 3/5, beta 1.2
    cand, ref = "the cat sat down", "the cat was sat there"
    p, r, b = 3 / 4, 3 / 5, 1.2
    assert rouge_l(cand, ref) == pytest.approx((1 + b * b) * p * r / (r + b * b * p))
    assert rouge_l("same words here", "same words here") == pytest.approx(1.0)
    assert rouge_l("nothing", "shared") == 0.0


def test_bleu_sanity() -> None:
    refs = ["the quick brown fox jumps over the lazy dog"]
    assert bleu(refs, refs) == pytest.approx(100.0)
    assert bleu(["completely different words entirely here now"], refs) < 5
    partial = bleu(["the quick brown fox jumps over a sleepy cat"], refs)
    assert 5 < partial < 100
