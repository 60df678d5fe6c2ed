"""``botctl model bench``: tokens per second of a generation engine, one at a time and all at once.

Greedy decoding, no repetition penalty, EOS ignored: every request makes exactly ``tokens`` new
tokens, so engines are compared on equal work. ``single_tok_s`` runs the fixed prompts one after
another; ``parallel_tok_s`` submits ``parallel`` requests (the same prompts, repeated as needed)
at once; time to first token is measured from submission (queue wait included).
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import Future
from typing import Any

from botcore.config import Settings
from botcore.inference.payloads import ChatTurn, GenerateRequest, GenerateResult
from workers.model.engines import create_engine, resolve_engine
from workers.model.engines.base import EngineOptions
from workers.model.engines.host import EngineHost

PROMPTS: tuple[str, ...] = (
    "Tell me a short story about a lighthouse keeper.",
    "Explain how rain forms, step by step.",
    "What are three good habits for learning a new language?",
    "Describe your ideal weekend in a few sentences.",
    "Why is the sky blue? Answer simply.",
    "Write a friendly note to a neighbour who lent you a ladder.",
    "What should I pack for a day of hiking?",
    "Give me some tips for sleeping better.",
)
"""The fixed benchmark prompts (also used by bench/bench_engines.py for the raw anchor)."""


def bench_request(i: int, tokens: int) -> GenerateRequest:
    """The ``i``-th benchmark request: greedy, no penalty, ``tokens`` new tokens."""
    return GenerateRequest(request_id=f"bench-{i}-{time.monotonic_ns()}", max_new_tokens=tokens,
                           temperature=0.0, repetition_penalty=1.0,
                           messages=[ChatTurn(role="user", content=PROMPTS[i % len(PROMPTS)])])


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    pos = (len(ordered) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def measure(host: EngineHost, *, parallel: int, tokens: int) -> dict[str, Any]:
    """Single-stream and parallel figures of a started host."""
    options = EngineOptions(ignore_eos=True)
    host.submit(bench_request(0, 4), options=options).result()  # warm-up, not counted
    produced = 0
    started = time.perf_counter()
    for i in range(len(PROMPTS)):
        produced += host.submit(bench_request(i, tokens), options=options).result().tokens
    single_s = time.perf_counter() - started
    single_tok_s = produced / single_s
    started = time.perf_counter()
    futures: list[Future[GenerateResult]] = [
        host.submit(bench_request(i, tokens), options=options) for i in range(parallel)]
    results = [f.result() for f in futures]
    parallel_s = time.perf_counter() - started
    ttft = [r.first_token_ms / 1000 for r in results if r.first_token_ms is not None]
    return {
        "single_tok_s": round(single_tok_s, 1),
        "parallel": parallel,
        "parallel_tok_s": round(sum(r.tokens for r in results) / parallel_s, 1),
        "ttft_p50_s": round(statistics.median(ttft), 3) if ttft else None,
        "ttft_p95_s": round(percentile(ttft, 0.95), 3) if ttft else None,
        "tokens_each": sorted({r.tokens for r in results}),
    }


def run_bench(settings: Settings, *, engine: str | None = None, parallel: int = 8,
              tokens: int = 48, threads: int | None = None) -> dict[str, Any]:
    """Load the engine, measure it, close it; returns the ``botctl model bench`` object."""
    name = engine or resolve_engine(settings)
    overrides: dict[str, Any] = {"slots": parallel}
    if threads:
        overrides["threads"] = threads
        if name == "transformers":
            import torch

            torch.set_num_threads(threads)
    built = create_engine(settings, name=name, **overrides)
    host = EngineHost(built)
    try:
        started = time.perf_counter()
        host.start()
        load_s = time.perf_counter() - started
        figures = measure(host, parallel=parallel, tokens=tokens)
    finally:
        host.close()
    used = getattr(built, "threads", None) or threads
    if used is None and name == "transformers":
        import torch

        used = torch.get_num_threads()
    return {"engine": name, "model": built.model_name, "threads": used,
            "load_s": round(load_s, 2), **figures}
