"""Generation tokens/s on one worker: batched vs one-at-a-time, at 1, 4, 8 and 16 conversations.

Drives the worker's own :class:`workers.batching.BatchCollector` with the bundled generator
(SmolLM2-135M-Instruct from its GGUF, converted once into ``--data-dir``): *n* conversations
submit one request each at the same moment, from *n* threads, exactly as *n* Celery task threads
of one worker do. "batched" lets the collector group them (``max_batch=16``, 50 ms window);
"one-at-a-time" is the same collector with ``max_batch=1``. Greedy decoding, the same prompts in
both modes; tokens/s counts the tokens actually generated, over the wall time until the last
reply. Target: batched ≥ 3× one-at-a-time at 8 conversations.

Run: ``.venv/bin/python -m bench.bench_batching [--tokens 48] [--device cpu] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.services import machine
from botcore.inference.payloads import ChatTurn, GenerateRequest
from workers.batching import BatchCollector, BatchGenerator

PROMPTS = ["Tell me about the ocean.", "How do plants grow?", "Give me a tip for studying.",
           "What is a good breakfast?", "Describe a rainy day.", "Why do cats purr?",
           "How do I stay motivated?", "What makes a good friend?"]


def run_level(model: BatchGenerator, n: int, max_batch: int, tokens: int) -> dict[str, Any]:
    collector = BatchCollector(model, max_batch=max_batch, max_wait_s=0.05)
    barrier = threading.Barrier(n)
    latencies: list[float] = []

    def conversation(i: int) -> int:
        req = GenerateRequest(request_id=f"c{i}", max_new_tokens=tokens, temperature=0.0,
                              repetition_penalty=1.0,
                              messages=[ChatTurn(role="user", content=PROMPTS[i % len(PROMPTS)])])
        barrier.wait()
        t0 = time.perf_counter()
        result = collector.submit(req).result(timeout=900)
        latencies.append(time.perf_counter() - t0)
        return result.tokens

    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(n) as pool:
            generated = sum(pool.map(conversation, range(n)))
        wall = time.perf_counter() - started
    finally:
        collector.close()
    return {"conversations": n, "tokens": generated, "wall_s": round(wall, 2),
            "tok_s": round(generated / wall, 1), "p50_latency_s": round(statistics.median(
                latencies), 2), "batches": list(collector.batch_sizes)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=48, help="max new tokens per reply")
    parser.add_argument("--levels", default="1,4,8,16")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data-dir", type=Path, default=Path(".botcore"),
                        help="where the converted model is cached")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    import torch

    from workers.model.generator import Generator
    from workers.model.sources import generator_source

    device = torch.device(args.device)
    t0 = time.perf_counter()
    gen = Generator.load(generator_source(None), device, args.data_dir)
    load_s = time.perf_counter() - t0
    gen.generate([GenerateRequest(request_id="warm", max_new_tokens=4, temperature=0.0,
                                  messages=[ChatTurn(role="user", content="hi")])])
    rows = []
    for n in (int(x) for x in args.levels.split(",")):
        one = run_level(gen, n, 1, args.tokens)
        batched = run_level(gen, n, 16, args.tokens)
        rows.append({"conversations": n, "one_at_a_time": one, "batched": batched,
                     "speedup": round(batched["tok_s"] / one["tok_s"], 2)})
        print(f"{n:>3} conversations: one-at-a-time {one['tok_s']:>6.1f} tok/s, batched "
              f"{batched['tok_s']:>6.1f} tok/s (batches {batched['batches']}), "
              f"x{rows[-1]['speedup']:.2f}", flush=True)
    info = {"machine": machine(), "device": str(device), "torch_threads": torch.get_num_threads(),
            "model": gen.name, "load_s": round(load_s, 1), "max_new_tokens": args.tokens,
            "results": rows}
    if args.json:
        args.json.write_text(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
