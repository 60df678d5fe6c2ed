"""Generation quality on held-out references: BLEU, ROUGE-L, distinct-2, repetition rate.

Runs twice: ``naive`` (greedy, no repetition penalty, no n-gram blocking, long cap) and ``defaults``
(the sampling, penalty, n-gram blocking and caps botcore uses), to show what the defaults buy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from botcore.inference.payloads import ChatTurn, GenerateRequest
from workers.evaluation.metrics import bleu, distinct_n, repetition_rate, rouge_l
from workers.model.generator import GenerationDefaults, Generator
from workers.training.data import DATA_DIR


def load_references(path: Path | None = None) -> list[dict[str, Any]]:
    """The held-out generation references (JSONL ``{"skill","messages","reference"}``)."""
    target = path or DATA_DIR / "generation_refs.jsonl"
    return [json.loads(ln) for ln in target.read_text(encoding="utf-8").splitlines() if ln.strip()]


def _requests(refs: Sequence[dict[str, Any]], naive: bool, seed: int) -> list[GenerateRequest]:
    out = []
    for i, ref in enumerate(refs):
        turns = [ChatTurn(**m) for m in ref["messages"]]
        if naive:
            out.append(GenerateRequest(request_id=f"r{i}", messages=turns, max_new_tokens=96,
                                       temperature=0.0, repetition_penalty=1.0))
        else:
            out.append(GenerateRequest(request_id=f"r{i}", messages=turns, max_new_tokens=64,
                                       seed=seed))
    return out


def score(texts: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """BLEU, mean ROUGE-L, distinct-2 and mean/max repetition rate of generated texts."""
    reps = [repetition_rate(t) for t in texts]
    return {
        "bleu": bleu(texts, references),
        "rouge_l": sum(rouge_l(t, r) for t, r in zip(texts, references, strict=True)) / len(texts),
        "distinct_2": distinct_n(texts, 2),
        "repetition_rate": sum(reps) / len(reps),
        "max_repetition_rate": max(reps),
        "mean_words": sum(len(t.split()) for t in texts) / len(texts),
    }


def evaluate_generation(generator: Generator, refs: Sequence[dict[str, Any]] | None = None,
                        seed: int = 7, batch: int = 8) -> dict[str, Any]:
    """Score the naive decoding and botcore's defaults on the references."""
    refs = list(refs or load_references())
    gold = [r["reference"] for r in refs]
    result: dict[str, Any] = {"references": len(refs)}
    saved = generator.defaults
    try:
        for name, naive in (("naive", True), ("defaults", False)):
            generator.defaults = replace(saved, no_repeat_ngram_size=0) if naive else saved
            reqs = _requests(refs, naive, seed)
            texts: list[str] = []
            for start in range(0, len(reqs), batch):
                texts += [r.text for r in generator.generate(reqs[start : start + batch])]
            result[name] = score(texts, gold) | {"samples": texts[:6]}
    finally:
        generator.defaults = saved
    return result


__all__ = ["GenerationDefaults", "evaluate_generation", "load_references", "score"]
