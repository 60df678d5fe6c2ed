"""The tutor on 40 school-level questions (half English, half Chinese) with the real model.

Each question goes through the dialogue manager with the bundled model (shipped heads + SmolLM2):
once routed by the model, once with ``/mode tutor``. A reply is *correct* when its answer line
holds every expected value; it *states a wrong final number* when the last line's numbers (or the
reply's last number) are not the expected ones. Writes ``bench/results_tutor.json``.

    .venv/bin/python -m bench.bench_tutor            # BOTCORE_BENCH_MODEL_DIR=path keeps the model
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sympy

from botcore.config import Settings
from botcore.messages import IncomingMessage
from botcore.runtime import open_runtime
from botcore.tutoring.solver_numbers import numbers_in

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE / "data" / "tutor_questions.jsonl"


def grade(reply: str, expected: list[str]) -> tuple[bool, bool]:
    """(correct, states a wrong final number) for one reply."""
    want = {sympy.Rational(e) for e in expected}
    last = reply.strip().splitlines()[-1] if reply.strip() else ""
    stated = set(numbers_in(last))
    correct = want <= stated
    final = stated or set(numbers_in(reply)[-1:])
    wrong = bool(final) and not final <= want | _forms(want) and not correct
    return correct, wrong


def _forms(values: set[sympy.Expr]) -> set[sympy.Expr]:
    """Other spellings of an answer the reply may show on its line (5/4 = 1 1/4 = 1.25)."""
    out: set[sympy.Expr] = set()
    for v in values:
        if isinstance(v, sympy.Rational) and v.q != 1:
            out |= {sympy.Integer(abs(v.p) // v.q), sympy.Rational(abs(v.p) % v.q, v.q)}
    return out


async def run(settings: Settings) -> dict[str, Any]:
    from workers.executor import LocalExecutor
    from workers.model.service import DEFAULT_HEADS, ModelService

    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()]
    service = ModelService.load(settings, checkpoint=DEFAULT_HEADS)
    executor = LocalExecutor.from_service(settings, service)
    result: dict[str, Any] = {"questions": len(rows)}
    async with open_runtime(settings, executor=executor) as rt:  # type: ignore[arg-type]
        for mode in ("routed", "pinned"):
            details = []
            latencies = []
            for row in rows:
                user = f"{mode}-{uuid.uuid4().hex[:6]}"
                if mode == "pinned":
                    await rt.manager.handle(_msg(user, "/mode tutor"))
                start = time.perf_counter()
                out = await rt.manager.handle(_msg(user, row["q"]))
                latencies.append(time.perf_counter() - start)
                reply = out[-1].text if out else ""
                correct, wrong = grade(reply, row["answer"])
                details.append({"q": row["q"], "lang": row["lang"], "kind": row["kind"],
                                "skill": out[-1].skill if out else None, "correct": correct,
                                "wrong_final_number": wrong, "reply": reply})
            n = len(details)
            result[mode] = {
                "correct_rate": round(sum(d["correct"] for d in details) / n, 3),
                "wrong_final_numbers": sum(d["wrong_final_number"] for d in details),
                "routed_to_tutor": sum(d["skill"] == "tutor" for d in details),
                "by_lang": {lang: round(sum(d["correct"] for d in details if d["lang"] == lang)
                                        / max(1, sum(d["lang"] == lang for d in details)), 3)
                            for lang in ("en", "zh")},
                "latency_p50_s": round(statistics.median(latencies), 2),
                "latency_max_s": round(max(latencies), 2),
                "details": details,
            }
    return result


def _msg(user: str, text: str) -> IncomingMessage:
    return IncomingMessage(platform="bench", message_id=uuid.uuid4().hex, chat_id=user,
                           user_id=user, text=text)


def main() -> None:
    """Run the benchmark and print the headline figures."""
    model_dir = os.environ.get("BOTCORE_BENCH_MODEL_DIR")
    data_dir = Path(model_dir) if model_dir else Path(tempfile.mkdtemp())
    settings = Settings(_env_file=None, data_dir=data_dir, device="cpu",  # type: ignore[call-arg]
                        rate_limit_user=1000, rate_limit_chat=1000,
                        database_url=f"sqlite+aiosqlite:///{tempfile.mkdtemp()}/bench.db")
    result = asyncio.run(run(settings))
    (HERE / "results_tutor.json").write_text(json.dumps(result, indent=1, ensure_ascii=False),
                                             encoding="utf-8")
    for mode in ("routed", "pinned"):
        r = result[mode]
        print(f"{mode}: correct {r['correct_rate']:.3f} (en {r['by_lang']['en']:.3f}, zh "
              f"{r['by_lang']['zh']:.3f}), wrong final numbers {r['wrong_final_numbers']}, "
              f"routed to tutor {r['routed_to_tutor']}/{result['questions']}, "
              f"p50 {r['latency_p50_s']} s")


if __name__ == "__main__":
    main()
