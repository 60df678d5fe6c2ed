"""Property: whatever random users say, in private chats and groups, no user can read another's
memory — not through /memory, /export, or the prompt the model sees."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botcore.inference.payloads import GenerateRequest, GenerateResult
from botcore.messages import ChatType, IncomingMessage
from botcore.runtime import open_runtime
from tests.conftest import make_settings
from workers.instant import InstantExecutor


class RecordingExecutor(InstantExecutor):
    """The instant model, also keeping every prompt it was sent."""

    def __init__(self) -> None:
        self.prompts: list[tuple[str, str]] = []  # (request id, whole prompt text)

    async def generate(self, request: GenerateRequest, on_delta=None) -> GenerateResult:  # type: ignore[no-untyped-def]
        self.prompts.append((request.request_id, "\n".join(m.content for m in request.messages)))
        return await super().generate(request, on_delta)


users = st.sampled_from(["u1", "u2", "u3", "u4"])
chats = st.sampled_from(["private", "g1", "g2"])
events = st.lists(st.tuples(users, chats, st.sampled_from(["like", "name", "say"])),
                  min_size=3, max_size=12)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=events)
def test_no_user_reads_another_users_memory(script: list[tuple[str, str, str]]) -> None:
    asyncio.run(_check(script))


_TEMPLATE: dict[str, Path] = {}


async def _template_db() -> Path:
    """Migrate one SQLite file once; each example starts from a copy (fast examples)."""
    if "db" not in _TEMPLATE:
        tmp = Path(tempfile.mkdtemp())
        async with open_runtime(make_settings(tmp)):
            pass
        _TEMPLATE["db"] = tmp / "data" / "botcore.sqlite3"
    return _TEMPLATE["db"]


async def _check(script: list[tuple[str, str, str]]) -> None:
    template = await _template_db()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "data").mkdir()
        shutil.copy(template, Path(tmp) / "data" / "botcore.sqlite3")
        executor = RecordingExecutor()
        async with open_runtime(make_settings(Path(tmp)), executor=executor) as rt:
            rt.settings.rate_limit_user = 1000
            said: dict[str, set[str]] = {}
            for n, (user, chat, kind) in enumerate(script):
                secret = f"secret{user}x{n}"
                text = {"like": f"I love {secret}", "name": f"Hi, I'm {secret.capitalize()}",
                        "say": f"remember {secret}"}[kind]
                group = chat != "private"
                msg = IncomingMessage(platform="test", message_id=str(n),
                                      chat_id=chat if group else user, user_id=user, text=text,
                                      chat_type=ChatType.GROUP if group else ChatType.PRIVATE)
                await rt.manager.handle(msg)
                said.setdefault(user, set()).add(secret.lower())
            await rt.manager.aclose()
            everyone = set().union(*said.values())
            for user in said:
                others = everyone - said[user]
                mem = await rt.manager.handle(IncomingMessage(
                    platform="test", message_id=f"m{user}", chat_id=user, user_id=user,
                    text="/memory"))
                exp = await rt.manager.handle(IncomingMessage(
                    platform="test", message_id=f"e{user}", chat_id=user, user_id=user,
                    text="/export"))
                blob = (mem[0].text + json.dumps(json.loads(exp[0].file.content))).lower()  # type: ignore[union-attr]
                leaked = {s for s in others if s in blob}
                assert not leaked, f"{user} can read {leaked}"
            for request_id, prompt in executor.prompts:
                _, chat, n = request_id.split(":")
                author = script[int(n)][0]
                others = everyone - said[author]
                leaked = {s for s in others if s in prompt.lower()}
                assert not leaked, f"prompt for {author} in {chat} contains {leaked}"
