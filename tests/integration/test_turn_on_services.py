"""The whole turn through real processes: botctl chat → RabbitMQ → Celery worker → Redis → reply,
with the transcript in Postgres."""

from __future__ import annotations

import asyncio
import json
import subprocess

from sqlalchemy import text

from botcore.config import to_async_url
from botcore.memory.sql_engine import make_engine
from tests.conftest import run_blocking
from tests.integration.conftest import BOTCTL, WorkerProcess


def test_botctl_chat_goes_through_a_real_worker(worker: WorkerProcess,
                                                worker_env: dict[str, str]) -> None:
    out = subprocess.run([BOTCTL, "chat", "--message", "Hi, I'm Ana", "--user", "ana-e2e",
                          "--json"], env=worker_env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    replies = json.loads(out.stdout)
    assert replies[0]["text"] == "You said: Hi, I'm Ana"
    # the worker, not the bot process, produced it
    assert "botcore.generate" in worker.log_path.read_text()

    async def rows() -> list[tuple[str, str]]:
        engine = make_engine(to_async_url(worker_env["BOTCORE_DATABASE_URL"]))
        async with engine.connect() as conn:
            res = await conn.execute(text(
                "SELECT m.role, m.text FROM messages m JOIN conversations c "
                "ON c.id = m.conversation_id WHERE c.platform='console' AND c.chat_id='ana-e2e' "
                "ORDER BY m.id"))
            data = [(r[0], r[1]) for r in res]
        await engine.dispose()
        return data

    assert run_blocking(rows()) == [("user", "Hi, I'm Ana"), ("assistant", "You said: Hi, I'm Ana")]


def test_concurrent_turns_through_the_worker_are_all_answered(
        worker: WorkerProcess, worker_env: dict[str, str]) -> None:
    from botcore.config import Settings
    from botcore.messages import IncomingMessage
    from botcore.runtime import open_runtime

    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, data_dir=worker_env["BOTCORE_DATA_DIR"],
        database_url=worker_env["BOTCORE_DATABASE_URL"],
        redis_url=worker_env["BOTCORE_REDIS_URL"], broker_url=worker_env["BOTCORE_BROKER_URL"])

    async def main() -> list[str]:
        async with open_runtime(settings) as rt:
            msgs = [IncomingMessage(platform="test", message_id=f"m{i}", chat_id=f"c{i}",
                                    user_id=f"u{i}", text=f"hello {i}") for i in range(8)]
            outs = await asyncio.gather(*(rt.manager.handle(m) for m in msgs))
            return [o[0].text for o in outs]

    texts = run_blocking(main())
    assert texts == [f"You said: hello {i}" for i in range(8)]
