"""A burst of new conversations on the embedded default, end to end (issue #13 targets).

``botctl run telegram`` runs as a real process on the embedded default (SQLite, in-process memory,
the bundled model in-process, no broker), talking to the fake Telegram Bot API server
(tests/adapters/fake_bot_api.py) on 127.0.0.1. After one warm-up turn (the model loads lazily),
``--users`` new private conversations arrive spread over ``--over`` seconds. Measured from each
update's arrival at the fake server:

- time to first response (the first message the user sees: busy notice, stream start or reply),
  p50 / p95 / max; time to the finished reply for those finished before the stop;
- typing calls (total, most in one chat) and HTTP 429s (the fake refuses a chat action sooner
  than 4 s after the previous one in that chat, stricter than Telegram);
- then SIGINT ``--stop-after`` seconds after the first update, with turns still pending: time to
  exit, and whether the committed offset left exactly the unanswered updates unconfirmed.

Run from the repository root::

    .venv/bin/python -m bench.bench_burst [--users 30] [--over 10] [--stop-after 20] [--json out.json]

``BOTCORE_TEST_MODEL_CACHE`` (a data dir holding converted models) is reused when set.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.services import machine, percentile
from tests.adapters import telegram_payloads as p
from tests.adapters.fake_bot_api import Call, FakeBotApi, FakeBotApiServer

BUSY_TEXTS = ("I'm a bit busy — you're next in line.", "我现在有点忙——马上就轮到你了。")
QUESTIONS = [
    "Hi! How are you today?", "Can you explain photosynthesis simply?", "I feel a bit lonely.",
    "Write a short poem about the sea.", "What is 12 times 7?", "Tell me a fun fact about cats.",
    "How do I stay focused when studying?", "What's a good name for a goldfish?",
    "I'm happy, I passed my exam!", "Why is the sky blue?",
]


def user(i: int) -> dict[str, Any]:
    return {"id": 70_000 + i, "is_bot": False, "first_name": f"User{i}", "language_code": "en"}


def private(update_id: int, i: int, text: str) -> dict[str, Any]:
    u = user(i)
    chat = {"id": u["id"], "first_name": u["first_name"], "type": "private"}
    return {"update_id": update_id, "message": {"message_id": 1, "date": p.DATE, "chat": chat,
                                                "from": u, "text": text}}


def sent(api: FakeBotApi, chat: int) -> list[Call]:
    return [c for c in api.calls if c.method in ("sendMessage", "editMessageText")
            and c.params.get("chat_id") == chat]


def finished(api: FakeBotApi, chat: int) -> Call | None:
    """The call that finished the reply (it carries the feedback buttons)."""
    return next((c for c in sent(api, chat) if c.params.get("reply_markup")), None)


async def until(check: Any, within: float) -> bool:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def stats(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    return {"p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2),
            "max": round(max(values), 2)}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    api = FakeBotApi()
    api.chat_action_gap_s = 4.0
    server = FakeBotApiServer(api)
    url = await server.start()
    data = Path(tempfile.mkdtemp(prefix="bench-burst-"))
    cache = os.environ.get("BOTCORE_TEST_MODEL_CACHE")
    if cache and (Path(cache) / "models").is_dir():
        (data / "models").symlink_to(Path(cache) / "models")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTCORE_")}
    env.update({"BOTCORE_TELEGRAM_TOKEN": p.TOKEN, "BOTCORE_TELEGRAM_API_URL": url,
                "BOTCORE_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"})
    for name in ("BOTCORE_GENERATOR_ENGINE", "BOTCORE_BUSY_NOTICE_S", "BOTCORE_SHUTDOWN_GRACE_S",
                 "BOTCORE_EXECUTOR"):
        if os.environ.get(name):
            env[name] = os.environ[name]
    botctl = Path(sys.executable).parent / "botctl"
    t_start = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(botctl), "run", "telegram", env=env, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    assert proc.stderr is not None
    log: list[bytes] = []

    async def drain_log() -> None:
        assert proc.stderr is not None
        async for line in proc.stderr:
            log.append(line)

    logger = asyncio.create_task(drain_log())
    result: dict[str, Any] = {"machine": machine(), "users": args.users, "over_s": args.over}
    try:
        if not await until(lambda: bool(api.of("getUpdates")), 120):
            raise RuntimeError("the bot never polled: " + b"".join(log[-20:]).decode())
        result["start_to_polling_s"] = round(time.monotonic() - t_start, 2)
        warm = user(999)["id"]
        t0 = time.monotonic()
        api.push_update(private(1, 999, "Hello!"))
        if not await until(lambda: finished(api, warm) is not None, 600):
            raise RuntimeError("no answer to the warm-up turn")
        result["warm_up_turn_s"] = round(time.monotonic() - t0, 2)  # includes the model load
        await asyncio.sleep(1.0)
        typing_before = len(api.of("sendChatAction"))
        pushed: dict[int, float] = {}
        first_push = time.monotonic()
        for i in range(args.users):
            api.push_update(private(10 + i, i, QUESTIONS[i % len(QUESTIONS)]))
            pushed[user(i)["id"]] = time.monotonic()
            await asyncio.sleep(args.over / args.users)
        await asyncio.sleep(max(0.0, first_push + args.stop_after - time.monotonic()))
        t_sig = time.monotonic()
        result["unanswered_at_signal"] = sum(finished(api, user(i)["id"]) is None
                                             for i in range(args.users))
        proc.send_signal(signal.SIGINT)
        await asyncio.wait_for(proc.wait(), 60)
        result["shutdown_s"] = round(time.monotonic() - t_sig, 2)
        result["exit_code"] = proc.returncode
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await logger
        await server.stop()
        if args.log:
            args.log.write_bytes(b"".join(log))
    first, done, notices, unanswered = [], [], 0, []
    for i in range(args.users):
        chat = user(i)["id"]
        calls = sent(api, chat)
        if calls:
            first.append(calls[0].at - pushed[chat])
        notices += sum(c.params["text"] in BUSY_TEXTS for c in calls)
        end = finished(api, chat)
        if end is not None:
            done.append(end.at - pushed[chat])
        else:
            unanswered.append(10 + i)
    typing = api.of("sendChatAction")[typing_before:]
    per_chat: dict[Any, int] = {}
    for c in typing:
        per_chat[c.params["chat_id"]] = per_chat.get(c.params["chat_id"], 0) + 1
    expected_offset = min(unanswered) if unanswered else 10 + args.users
    result.update({
        "first_response_s": stats(first),
        "users_with_first_response": len(first),
        "users_first_response_within_10s": sum(v <= 10 for v in first),
        "busy_notices": notices,
        "reply_finished_s": stats(done),
        "replies_finished_before_stop": len(done),
        "typing_calls": len(typing),
        "typing_calls_max_per_chat": max(per_chat.values(), default=0),
        "http_429_typing": len(api.flood_refused),
        "stop_after_s": args.stop_after,
        "unanswered_after_stop": len(unanswered),
        "committed_offset": api.confirmed_offset,
        "offset_left_exactly_the_unanswered": api.confirmed_offset == expected_offset,
        "log_tail": [line.decode(errors="replace").rstrip() for line in log[-6:]],
    })
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--over", type=float, default=10.0, help="seconds the burst is spread over")
    parser.add_argument("--stop-after", type=float, default=20.0,
                        help="SIGINT this many seconds after the first update of the burst")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--log", type=Path, default=None, help="write the bot's log here")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
