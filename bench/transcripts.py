"""One short, real conversation per skill with the bundled model (embedded default), printed as
a transcript — what the README and the skills note show.

    .venv/bin/python -m bench.transcripts
"""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from pathlib import Path

from botcore.config import Settings
from botcore.faq import read_faq_file
from botcore.faq import store as faq_store
from botcore.messages import IncomingMessage
from botcore.runtime import open_runtime

KB = Path(__file__).resolve().parents[1] / "workers" / "assets" / "data" / "faq_kb.jsonl"
SCRIPTS = {
    "companion": ["Hi, I'm Ana! I just adopted a puppy named Max.", "I feel a bit nervous about "
                  "training him though"],
    "tutor": ["Can you explain how to calculate 17 * 23?", "/quiz math", "42"],
    "faq": ["how long does shipping take?", "do you sell helicopters?"],
    "assistant": ["Write a short poem about the sea", "Write a Python function that reverses a "
                  "string"],
}


async def main() -> None:
    settings = Settings(_env_file=None, data_dir=Path(tempfile.mkdtemp()))  # type: ignore[call-arg]
    async with open_runtime(settings) as rt:
        await faq_store.upsert_entries(rt.long_term, read_faq_file(KB))
        rt.manager.faq.invalidate()
        for skill, lines in SCRIPTS.items():
            user = f"{skill}-{uuid.uuid4().hex[:4]}"
            print(f"\n### {skill}")
            for line in lines:
                out = await rt.manager.handle(IncomingMessage(
                    platform="console", message_id=uuid.uuid4().hex, chat_id=user, user_id=user,
                    text=line))
                print(f"user> {line}")
                for reply in out:
                    print(f"bot [{reply.skill or 'command'}]> {reply.text}")


if __name__ == "__main__":
    asyncio.run(main())
