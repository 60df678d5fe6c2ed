"""botcore's llamacpp engine against raw xllamacpp on the same GGUF and threads, in one run.

    python -m bench.bench_engines [--parallel 8] [--tokens 48] [--threads 2] [--rounds 2]

Both servers are loaded side by side and measured in alternation (raw, botcore, raw, …) so
load on a shared machine hits both alike. Equal work: greedy, EOS ignored, exactly --tokens
new tokens per request, the 8 fixed prompts of ``botctl model bench``. Prints one JSON object:
the raw and botcore figures (best round of each) and the ratios botcore / raw.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from typing import Any

from botcore.config import load_settings
from workers.model.engines import create_engine, gguf_path
from workers.model.engines.bench import PROMPTS, measure, percentile
from workers.model.engines.host import EngineHost


class RawLlama:
    """xllamacpp used directly: the speed anchor."""

    def __init__(self, gguf: str, slots: int, ctx: int, threads: int) -> None:
        import xllamacpp as xlc

        params = xlc.CommonParams()
        params.model.path = gguf
        params.n_parallel, params.n_ctx = slots, slots * ctx
        params.cpuparams.n_threads = params.cpuparams_batch.n_threads = threads
        params.warmup, params.verbosity = False, -1
        started = time.perf_counter()
        self.server = xlc.Server(params)
        self.load_s = time.perf_counter() - started

    def one(self, i: int, tokens: int, first: list[float]) -> int:
        t0 = time.perf_counter()
        usage: dict[str, Any] = {}

        def cb(chunk: dict[str, Any]) -> bool:
            if not first and any((c.get("delta") or {}).get("content")
                                 for c in chunk.get("choices") or ()):
                first.append(time.perf_counter() - t0)
            usage.update(chunk.get("usage") or {})
            return False

        self.server.handle_chat_completions({
            "messages": [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}],
            "max_tokens": tokens, "temperature": 0.0, "ignore_eos": True, "stream": True,
            "stream_options": {"include_usage": True}}, cb)
        return int(usage.get("completion_tokens", 0))

    def measure(self, parallel: int, tokens: int) -> dict[str, Any]:
        self.one(0, 4, [])
        started = time.perf_counter()
        produced = sum(self.one(i, tokens, []) for i in range(len(PROMPTS)))
        single = produced / (time.perf_counter() - started)
        firsts: list[list[float]] = [[] for _ in range(parallel)]
        counts = [0] * parallel

        def run(i: int) -> None:
            counts[i] = self.one(i, tokens, firsts[i])

        threads = [threading.Thread(target=run, args=(i,)) for i in range(parallel)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        ttft = [f[0] for f in firsts if f]
        return {"single_tok_s": round(single, 1), "parallel": parallel,
                "parallel_tok_s": round(sum(counts) / wall, 1),
                "ttft_p50_s": round(statistics.median(ttft), 3),
                "ttft_p95_s": round(percentile(ttft, 0.95), 3), "tokens_each": sorted(set(counts))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    settings = load_settings()
    gguf = gguf_path(settings)
    if gguf is None:
        raise SystemExit("the configured generator is not a GGUF file")
    raw = RawLlama(str(gguf), args.parallel, settings.generator_ctx, args.threads)
    engine = create_engine(settings, name="llamacpp", slots=args.parallel, threads=args.threads)
    host = EngineHost(engine)
    started = time.perf_counter()
    host.start()
    ours_load = time.perf_counter() - started
    raw_rounds, our_rounds = [], []
    try:
        for _ in range(args.rounds):
            raw_rounds.append(raw.measure(args.parallel, args.tokens))
            our_rounds.append(measure(host, parallel=args.parallel, tokens=args.tokens))
    finally:
        host.close()

    def best(rounds: list[dict[str, Any]]) -> dict[str, Any]:
        out = dict(rounds[0])
        out["single_tok_s"] = max(r["single_tok_s"] for r in rounds)
        out["parallel_tok_s"] = max(r["parallel_tok_s"] for r in rounds)
        out["ttft_p95_s"] = min(r["ttft_p95_s"] for r in rounds)
        out["ttft_p50_s"] = min(r["ttft_p50_s"] for r in rounds)
        return out

    r, o = best(raw_rounds), best(our_rounds)
    print(json.dumps({
        "model": gguf.name, "threads": args.threads, "tokens": args.tokens,
        "raw_xllamacpp": {"load_s": round(raw.load_s, 2), **r, "rounds": raw_rounds},
        "botcore_llamacpp": {"load_s": round(ours_load, 2), **o, "rounds": our_rounds},
        "single_ratio": round(o["single_tok_s"] / r["single_tok_s"], 3),
        "parallel_ratio": round(o["parallel_tok_s"] / r["parallel_tok_s"], 3),
    }, indent=1))


if __name__ == "__main__":
    main()
