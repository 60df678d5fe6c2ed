"""FAQ agent accuracy and refusals with the real shared model, across confidence thresholds.

The shop knowledge base (workers/assets/data/faq_kb.jsonl: 20 entries × 10 phrasings) is split per
entry: 6 phrasings go into the knowledge base, 4 are held-out questions. 30 out-of-scope questions
must be refused. For each threshold: accuracy on held-out questions (right entry, not refused),
wrong answers, refusal rate on out-of-scope questions.

    .venv/bin/python -m bench.bench_faq [--json out.json]

With ``--support-kb``: a knowledge base the shared model never saw, untuned vs trained with
``botctl faq train``'s model (bench/faq_kb.py; ``--encoder trunk|use|both``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from botcore.config import Settings
from botcore.faq import FaqIndex, read_faq_file
from botcore.faq import store as faq_store
from botcore.memory.factory import open_long_term

KB = Path(__file__).resolve().parents[1] / "workers" / "assets" / "data" / "faq_kb.jsonl"
OUT_OF_SCOPE = [
    "who won the football world cup in 2018?", "what is the capital of australia?",
    "can you write me a poem about autumn?", "how do I fix a flat bicycle tyre?",
    "what's the weather like tomorrow?", "explain quantum entanglement simply",
    "how many legs does a spider have?", "recommend a good science fiction novel",
    "what is 17 times 23?", "how do I bake sourdough bread?", "who painted the mona lisa?",
    "I feel lonely tonight", "tell me a joke", "how tall is mount everest?",
    "what's the best way to learn python?", "do you believe in ghosts?",
    "how do vaccines work?", "translate 'good morning' into spanish",
    "what should I name my cat?", "how far is the moon from earth?",
    "is it healthy to drink coffee every day?", "what year did the berlin wall fall?",
    "how do I change a car tyre?", "who is the president of france?",
    "what's your favourite colour?", "how do I meditate?", "why is the sky blue?",
    "can dogs eat chocolate?", "how do airplanes fly?", "what is the meaning of life?",
]
THRESHOLDS = [0.40, 0.45, 0.50, 0.55, 0.60, 0.62, 0.65, 0.70, 0.75]


async def main(out: str | None) -> None:
    from workers.executor import LocalExecutor

    records = read_faq_file(KB)
    held_out = [(r.id, q) for r in records for q in r.questions[6:]]
    for r in records:
        r.questions = r.questions[:6]
    tmp = Path(tempfile.mkdtemp())
    settings = Settings(_env_file=None, data_dir=tmp, device="cpu")  # type: ignore[call-arg]
    store = await open_long_term(settings)
    await faq_store.upsert_entries(store, records)
    executor = LocalExecutor(settings)
    index = FaqIndex(store, executor, threshold=-1.0)  # score everything; threshold applied below
    await index.search("warm up: load the model and embed the knowledge base")
    started = time.perf_counter()
    scored_in = [(eid, await index.search(q)) for eid, q in held_out]
    scored_out = [await index.search(q) for q in OUT_OF_SCOPE]
    per_query_ms = (time.perf_counter() - started) * 1000 / (len(held_out) + len(OUT_OF_SCOPE))
    rows = []
    for t in THRESHOLDS:
        right = sum(1 for eid, a in scored_in if a.score >= t and a.id == eid)
        wrong = sum(1 for eid, a in scored_in if a.score >= t and a.id != eid)
        refused_out = sum(1 for a in scored_out if a.score < t)
        rows.append({"threshold": t, "accuracy": right / len(held_out),
                     "wrong_answer_rate": wrong / len(held_out),
                     "in_scope_refused": 1 - (right + wrong) / len(held_out),
                     "out_of_scope_refused": refused_out / len(OUT_OF_SCOPE)})
    top1 = sum(1 for eid, a in scored_in if a.id == eid) / len(held_out)
    result = {"held_out": len(held_out), "out_of_scope": len(OUT_OF_SCOPE),
              "top1_without_threshold": top1, "ms_per_query": per_query_ms, "sweep": rows}
    print(f"{len(held_out)} held-out questions, {len(OUT_OF_SCOPE)} out-of-scope; "
          f"top-1 without a threshold {top1:.3f}; {per_query_ms:.1f} ms/query")
    print("threshold  accuracy  wrong  in-scope refused  out-of-scope refused")
    for r in rows:
        print(f"{r['threshold']:>9.2f}  {r['accuracy']:>8.3f}  {r['wrong_answer_rate']:>5.3f}  "
              f"{r['in_scope_refused']:>16.3f}  {r['out_of_scope_refused']:>20.3f}")
    if out:
        await asyncio.to_thread(Path(out).write_text, json.dumps(result, indent=2))
    await executor.aclose()
    await store.aclose()


async def support_kb(out: str | None, encoder: str) -> None:
    """Untuned vs trained on the support-desk knowledge base (bench/faq_kb.py)."""
    from bench import faq_kb

    result = await faq_kb.run(["trunk", "use"] if encoder == "both" else [encoder])
    faq_kb.show(result)
    if out:
        await asyncio.to_thread(Path(out).write_text, json.dumps(result, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", dest="out")
    parser.add_argument("--support-kb", action="store_true")
    parser.add_argument("--encoder", choices=["trunk", "use", "both"], default="both")
    args = parser.parse_args()
    if args.support_kb:
        asyncio.run(support_kb(args.out, args.encoder))
    else:
        asyncio.run(main(args.out))
