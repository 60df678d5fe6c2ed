"""Pipeline overhead: the whole turn with an instant model through real Redis + Postgres + Celery.

One bot process (this one: ``DialogueManager`` over the Celery executor) and one real worker
process (``botctl run worker`` with ``BOTCORE_EXECUTOR=instant``) on RabbitMQ; each simulated user
sends its messages one after the other, all users at once. Reports p50/p99 turn latency and
messages/s at 1, 8 and 64 concurrent users (targets: p50 ≤ 15 ms, p99 ≤ 60 ms, ≥ 300 msg/s).

Run: ``.venv/bin/python -m bench.bench_pipeline [--seconds 8] [--users 1,8,64] [--json out.json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

import psutil

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.services import (
    AMQP_URL,
    REDIS_URL,
    Worker,
    flush_redis,
    machine,
    percentile,
    postgres_database,
    purge_queues,
    service_env,
)
from botcore.config import Settings
from botcore.messages import IncomingMessage
from botcore.runtime import open_runtime

TEXTS = ("hello there, how are you?", "can you explain fractions?", "what is your refund policy?",
         "write a short poem about rain", "I feel a bit tired today")


async def _user(rt: object, user: int, stop_at: float, lat: list[float], errors: list[str],
                run: str) -> None:
    manager = rt.manager  # type: ignore[attr-defined]
    i = 0
    while time.perf_counter() < stop_at:
        msg = IncomingMessage(platform="bench", message_id=f"{run}-{i}", chat_id=f"u{user}",
                              user_id=f"u{user}", text=TEXTS[i % len(TEXTS)])
        t0 = time.perf_counter()
        out = await manager.handle(msg)
        lat.append((time.perf_counter() - t0) * 1000)
        if not out or not out[0].text.startswith("You said"):
            errors.append(out[0].text if out else "(no reply)")
        i += 1


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


async def _level(rt: object, users: int, seconds: float, tag: str,
                 worker: psutil.Process) -> dict[str, float]:
    lat: list[float] = []
    errors: list[str] = []
    # warm-up: connection pools, the reply channel, each user's rows
    await asyncio.gather(*(_user(rt, u, time.perf_counter() + 0.5, [], [], f"{tag}w")
                           for u in range(users)))
    start = time.perf_counter()
    bot_cpu, worker_cpu = time.process_time(), _cpu(worker)
    await asyncio.gather(*(_user(rt, u, start + seconds, lat, errors, tag)
                           for u in range(users)))
    wall = time.perf_counter() - start
    bot_cpu, worker_cpu = time.process_time() - bot_cpu, _cpu(worker) - worker_cpu
    if errors:
        print(f"  {len(errors)} unexpected replies, e.g. {errors[0]!r}", file=sys.stderr)
    return {"users": users, "messages": len(lat), "p50_ms": percentile(lat, 50),
            "p99_ms": percentile(lat, 99), "msg_per_s": len(lat) / wall, "errors": len(errors),
            "bot_cpu_ms_per_msg": bot_cpu * 1000 / max(len(lat), 1),
            "worker_cpu_ms_per_msg": worker_cpu * 1000 / max(len(lat), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="measured seconds per level")
    parser.add_argument("--users", default="1,8,64")
    parser.add_argument("--concurrency", type=int, default=8, help="worker threads")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    levels = [int(u) for u in args.users.split(",")]
    purge_queues()
    flush_redis()
    with tempfile.TemporaryDirectory() as tmp, postgres_database() as pg:
        env = service_env(Path(tmp), pg)
        worker = Worker(env, Path(tmp) / "worker.log", args.concurrency)
        try:
            ready = worker.wait_ready()
            settings = Settings(  # type: ignore[call-arg]
                _env_file=None, data_dir=Path(tmp), database_url=pg, redis_url=REDIS_URL,
                broker_url=AMQP_URL, executor="instant", rate_limit_user=10**6,
                rate_limit_chat=10**6, log_level="WARNING")

            async def run() -> list[dict[str, float]]:
                async with open_runtime(settings) as rt:
                    assert "torch" not in sys.modules, "the bot process imported torch"
                    proc = psutil.Process(worker.proc.pid)
                    return [await _level(rt, n, args.seconds, f"L{n}", proc) for n in levels]

            results = asyncio.run(run())
        finally:
            worker.stop()
    print(f"machine: {machine()}; worker ready in {ready:.1f}s")
    print(f"{'users':>5} {'messages':>8} {'p50 ms':>7} {'p99 ms':>7} {'msg/s':>7} "
          f"{'bot CPU ms/msg':>14} {'worker CPU ms/msg':>17}")
    for r in results:
        print(f"{r['users']:>5} {r['messages']:>8} {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} "
              f"{r['msg_per_s']:>7.1f} {r['bot_cpu_ms_per_msg']:>14.1f} "
              f"{r['worker_cpu_ms_per_msg']:>17.1f}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=2))


if __name__ == "__main__":
    main()
