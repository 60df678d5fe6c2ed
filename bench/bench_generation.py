"""Generation throughput: tokens/s at batch 1 (one at a time) vs batch 8, and load times.

Usage: python bench/bench_generation.py [--tokens 48] [--device cpu] [--json]
Measures: cold start (GGUF → safetensors conversion in a fresh data dir), cached start (the
converted copy), then greedy decoding of 8 prompts one at a time and as one batch of 8 (left
padding), counting the tokens each reply really produced.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

PROMPTS = ["Tell me about the ocean.", "How do plants grow?", "Give me a tip for studying.",
           "What is a good breakfast?", "Describe a rainy day.", "Why do cats purr?",
           "How do I stay motivated?", "What makes a good friend?"]


def main() -> None:
    import torch

    from botcore.inference.payloads import ChatTurn, GenerateRequest
    from workers.model.generator import Generator
    from workers.model.sources import generator_source

    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=48)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        Generator.load(generator_source(None), device, Path(tmp))
        out["load_cold_gguf_s"] = time.perf_counter() - t
        t = time.perf_counter()
        gen = Generator.load(generator_source(None), device, Path(tmp))
        out["load_cached_s"] = time.perf_counter() - t

        def reqs(n: int) -> list[GenerateRequest]:
            return [GenerateRequest(request_id=str(i), max_new_tokens=args.tokens, temperature=0.0,
                                    repetition_penalty=1.0,
                                    messages=[ChatTurn(role="user", content=PROMPTS[i % 8])])
                    for i in range(n)]

        gen.generate(reqs(1))  # warm-up
        t = time.perf_counter()
        toks = sum(r.tokens for req in reqs(8) for r in gen.generate([req]))
        out["batch1_tok_s"] = toks / (time.perf_counter() - t)
        t = time.perf_counter()
        toks = sum(r.tokens for r in gen.generate(reqs(8)))
        out["batch8_tok_s"] = toks / (time.perf_counter() - t)
        out["speedup"] = out["batch8_tok_s"] / out["batch1_tok_s"]
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:>18}: {v:8.2f}")


if __name__ == "__main__":
    main()
