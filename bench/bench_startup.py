"""Worker cold start to ready, and the memory (RSS) of the bot and worker processes.

Starts real ``botctl run worker`` processes on RabbitMQ + Redis + Postgres and times them from
spawn to their "worker ready" log line (the model loaded and warmed up):

- with the instant model (the pipeline benchmark's worker);
- with the bundled models, first start on an empty data dir (the GGUF is converted once);
- with the bundled models again on the same data dir (the converted copy is loaded).

Then a bot process (the dialogue manager over the Celery executor) answers one message through
the worker, checks that it never imported torch, and reports its RSS. Targets: worker ready
≤ 10 s with the default model, bot RSS ≤ 300 MB.

Run: ``.venv/bin/python -m bench.bench_startup [--skip-model] [--json out.json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil

from bench.services import (
    Worker,
    flush_redis,
    machine,
    postgres_database,
    purge_queues,
    service_env,
)

MB = 1024 * 1024


def _tree_rss(pid: int) -> float:
    proc = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / MB


def worker_start(env: dict[str, str], log: Path) -> dict[str, float]:
    """Start a worker, time it to ready, measure its RSS, stop it."""
    worker = Worker(env, log, concurrency=8)
    try:
        ready = worker.wait_ready(timeout=300)
        time.sleep(0.5)
        return {"ready_s": round(ready, 2), "rss_mb": round(_tree_rss(worker.proc.pid), 1)}
    finally:
        worker.stop()


async def _bot_probe() -> dict[str, Any]:
    """Runs inside the bot child process: one turn through the worker, then report."""
    from botcore.config import load_settings
    from botcore.messages import IncomingMessage
    from botcore.runtime import open_runtime

    started = time.perf_counter()
    async with open_runtime(load_settings()) as rt:
        opened = time.perf_counter() - started
        out = await rt.manager.handle(IncomingMessage(
            platform="bench", message_id="1", chat_id="rss", user_id="rss", text="hello"))
        assert out and out[0].text, "no reply"
        assert "torch" not in sys.modules, "the bot process imported torch"
        assert "transformers" not in sys.modules, "the bot process imported transformers"
        return {"bot_open_s": round(opened, 2), "reply": out[0].text[:60],
                "bot_rss_mb": round(psutil.Process().memory_info().rss / MB, 1),
                "torch_imported": "torch" in sys.modules}


def bot_rss(env: dict[str, str], log: Path) -> dict[str, Any]:
    """A bot process answering through a running instant worker."""
    worker = Worker(env, log, concurrency=4)
    try:
        worker.wait_ready()
        out = subprocess.run([sys.executable, "-m", "bench.bench_startup", "--bot-probe"],
                             env=env, capture_output=True, text=True, timeout=120,
                             cwd=Path(__file__).resolve().parents[1])
        if out.returncode != 0:
            raise RuntimeError(out.stderr[-3000:])
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        result["instant_worker_rss_mb"] = round(_tree_rss(worker.proc.pid), 1)
        return result
    finally:
        worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-model", action="store_true", help="only the instant worker")
    parser.add_argument("--bot-probe", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.bot_probe:
        print(json.dumps(asyncio.run(_bot_probe())))
        return
    results: dict[str, Any] = {"machine": machine()}
    purge_queues()
    flush_redis()
    with tempfile.TemporaryDirectory() as tmp, postgres_database() as pg:
        base = Path(tmp)
        env = service_env(base / "instant", pg)
        results["instant_worker"] = worker_start(env, base / "instant.log")
        results.update(bot_rss(env, base / "bot-worker.log"))
        if not args.skip_model:
            model_env = service_env(base / "model", pg, BOTCORE_EXECUTOR="local",
                                    HF_HUB_OFFLINE="1", BOTCORE_DEVICE="cpu")
            results["model_worker_first_start"] = worker_start(model_env, base / "m1.log")
            results["model_worker_start"] = worker_start(model_env, base / "m2.log")
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
