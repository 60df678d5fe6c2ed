"""What memory costs per turn, on real Redis + Postgres: the added latency of the memory calls
(p50/p99 per turn) and the SQL rows / Redis keys that 100 turns leave behind.

The model is the in-process instant executor, so a turn is the dialogue manager plus memory;
every short-term and long-term call is timed by wrapping the store objects.

    .venv/bin/python -m bench.bench_memory [--turns 100] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import inspect
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from sqlalchemy import func, select

from bench.services import REDIS_URL, flush_redis, machine, percentile, postgres_database
from botcore.config import Settings
from botcore.memory import sql_models as m
from botcore.messages import IncomingMessage
from botcore.runtime import open_runtime

LINES = ["Hi, I'm Ana", "I have a dog named Max", "I love hiking in the mountains",
         "what is 12*12?", "tell me something nice", "I have an exam on Friday",
         "how are you today?", "I like green tea", "write a haiku about rain", "thanks!"]


class Timed:
    """Wraps a store: every coroutine method adds its wall time to the current turn."""

    def __init__(self, inner: Any, spent: list[float]) -> None:
        self._inner = inner
        self._spent = spent

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        @functools.wraps(attr)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await attr(*args, **kwargs)
            finally:
                self._spent[0] += time.perf_counter() - start

        return timed


async def run(turns: int, pg_url: str) -> dict[str, Any]:
    settings = Settings(_env_file=None, data_dir=Path(tempfile.mkdtemp()), executor="instant",  # type: ignore[call-arg]
                        database_url=pg_url, redis_url=REDIS_URL, rate_limit_user=10_000)
    spent = [0.0]
    memory_ms: list[float] = []
    turn_ms: list[float] = []
    async with open_runtime(settings) as rt:
        rt.manager.short = Timed(rt.manager.short, spent)  # type: ignore[assignment]
        rt.manager.sql = Timed(rt.manager.sql, spent)  # type: ignore[assignment]
        for i in range(turns):
            spent[0] = 0.0
            start = time.perf_counter()
            await rt.manager.handle(IncomingMessage(
                platform="bench", message_id=str(i), chat_id="c1", user_id="u1",
                text=LINES[i % len(LINES)]))
            await rt.manager.aclose()  # include the background fact/summary writes
            turn_ms.append((time.perf_counter() - start) * 1000)
            memory_ms.append(spent[0] * 1000)
        rows: dict[str, int] = {}
        async with rt.long_term.session() as s:
            for table in m.Base.metadata.sorted_tables:
                rows[table.name] = int((await s.execute(
                    select(func.count()).select_from(table))).scalar() or 0)
    client = aioredis.from_url(REDIS_URL)
    keys = int(await client.dbsize())
    await client.aclose()
    return {"machine": machine(), "turns": turns,
            "memory_ms_p50": percentile(memory_ms, 50), "memory_ms_p99": percentile(memory_ms, 99),
            "turn_ms_p50": percentile(turn_ms, 50), "turn_ms_p99": percentile(turn_ms, 99),
            "sql_rows": {k: v for k, v in rows.items() if v}, "sql_rows_total": sum(rows.values()),
            "redis_keys": keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--json", dest="out")
    args = parser.parse_args()
    flush_redis()
    with postgres_database() as pg:
        result = asyncio.run(run(args.turns, pg))
    flush_redis()
    print(f"{result['machine']}; {result['turns']} turns of one user (instant model)")
    print(f"memory per turn: p50 {result['memory_ms_p50']:.1f} ms, p99 "
          f"{result['memory_ms_p99']:.1f} ms (whole turn p50 {result['turn_ms_p50']:.1f} ms, "
          f"p99 {result['turn_ms_p99']:.1f} ms)")
    print(f"SQL rows: {result['sql_rows_total']} {result['sql_rows']}; Redis keys: "
          f"{result['redis_keys']}")
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
