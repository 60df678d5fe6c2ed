"""Property: whatever random users say, in private chats and groups (one of them with shared
memory), and however they /link their accounts, nothing one person said reaches another person,
nor a group where it was not said — not through replies, /memory, /export, or the prompt the
model sees; and /memory, /export, /forget asked in a group are only ever answered privately."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from botcore.inference.payloads import GenerateRequest, GenerateResult
from botcore.messages import ChatType, IncomingMessage, OutgoingMessage
from botcore.runtime import open_runtime
from tests.conftest import make_settings
from workers.instant import InstantExecutor


class RecordingExecutor(InstantExecutor):
    """The instant model, also keeping every prompt it was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.prompts: list[tuple[str, str]] = []  # (request id, whole prompt text)

    async def generate(self, request: GenerateRequest, on_delta=None) -> GenerateResult:  # type: ignore[no-untyped-def]
        self.prompts.append((request.request_id, "\n".join(m.content for m in request.messages)))
        return await super().generate(request, on_delta)


users = st.sampled_from(["u1", "u2", "u3", "u4"])
chats = st.sampled_from(["private", "g1", "g2"])
events = st.lists(st.tuples(users, chats, st.sampled_from(["like", "name", "say", "link"])),
                  min_size=3, max_size=12)
SHARED = "g2"
"""This group shares one memory among its members (the rest are per member)."""


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


class People:
    """Accounts joined by /link are one person (union-find)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, user: str) -> str:
        while self.parent.get(user, user) != user:
            user = self.parent[user]
        return user

    def join(self, a: str, b: str) -> None:
        self.parent[self.find(b)] = self.find(a)

    def members(self, user: str, all_users: set[str]) -> set[str]:
        return {u for u in all_users if self.find(u) == self.find(user)}


def _leaks(blob: str, allowed: set[str], everyone: set[str]) -> set[str]:
    return {s for s in everyone - allowed if s in blob.lower()}


async def _check(script: list[tuple[str, str, str]]) -> None:
    """No fact, message or export of one person reaches another person, or a group where it
    was not said: not in replies shown in a chat, not in /memory or /export, not in a prompt."""
    template = await _template_db()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "data").mkdir()
        shutil.copy(template, Path(tmp) / "data" / "botcore.sqlite3")
        executor = RecordingExecutor()
        async with open_runtime(make_settings(Path(tmp)), executor=executor) as rt:
            rt.settings.rate_limit_user = 1000
            await rt.long_term.set_chat_settings("test", SHARED, {"memory_scope": "shared"})
            people = People()
            private: dict[str, set[str]] = {}  # user -> secrets they said in private chats
            in_chat: dict[str, set[str]] = {}  # group -> secrets said there (by anyone)
            by_user: dict[str, set[str]] = {}
            shown: list[tuple[str, OutgoingMessage]] = []  # (chat, reply shown in that chat)
            all_users = {u for u, _, _ in script}
            partners = sorted(all_users)

            async def send(n: int | str, user: str, chat: str, text: str) -> list[OutgoingMessage]:
                group = chat != "private"
                msg = IncomingMessage(platform="test", message_id=str(n),
                                      chat_id=chat if group else user, user_id=user, text=text,
                                      chat_type=ChatType.GROUP if group else ChatType.PRIVATE)
                out = await rt.manager.handle(msg)
                shown.extend((msg.chat_id, o) for o in out if o.private is None)
                if group:
                    assert all(o.file is None for o in out if o.private is None)
                return out

            for n, (user, chat, kind) in enumerate(script):
                if kind == "link":  # user offers a code privately; the next user redeems it
                    other = partners[(partners.index(user) + 1) % len(partners)]
                    offer = await send(f"{n}o", user, "private", "/link")
                    found = re.search(r"code is ([0-9A-Z]{8})", offer[0].text)
                    if found and other != user:
                        done = await send(f"{n}r", other, "private", f"/link {found.group(1)}")
                        if "Linked!" in done[0].text:
                            people.join(user, other)
                    continue
                secret = f"secret{user}x{n}q"  # no secret is a prefix of another
                text = {"like": f"I love {secret}", "name": f"Hi, I'm {secret.capitalize()}",
                        "say": f"remember {secret}"}[kind]
                await send(n, user, chat, text)
                (private.setdefault(user, set()) if chat == "private"
                 else in_chat.setdefault(chat, set())).add(secret.lower())
                by_user.setdefault(user, set()).add(secret.lower())
            await rt.manager.aclose()
            everyone = set().union(set(), *by_user.values())

            def said_by(user: str) -> set[str]:
                return set().union(set(), *(by_user.get(u, set())
                                            for u in people.members(user, all_users)))

            def said_privately_by(user: str) -> set[str]:
                return set().union(set(), *(private.get(u, set())
                                            for u in people.members(user, all_users)))

            for user in sorted(all_users):
                mem = await send(f"m{user}", user, "private", "/memory")
                exp = await send(f"e{user}", user, "private", "/export")
                blob = mem[0].text + json.dumps(json.loads(exp[0].file.content))  # type: ignore[union-attr]
                assert not _leaks(blob, said_by(user), everyone), f"{user} reads another's data"
                for group in ("g1", SHARED):  # asked in a group: answered privately only
                    for command in ("/memory", "/export", "/forget"):
                        out = await send(f"{group}{command}{user}", user, group, command)
                        assert all(o.private is not None and o.private.user_id == user
                                   for o in out), f"{command} answered in {group}"
            for chat, out in shown:
                text = out.text + (out.file.content.decode() if out.file else "")
                if chat.startswith("g"):
                    assert not _leaks(text, in_chat.get(chat, set()), everyone), \
                        f"a reply in {chat} shows what was said elsewhere"
            for request_id, prompt in executor.prompts:
                _, chat, n = request_id.split(":")
                author = script[int(n)][0]
                if chat.startswith("g"):
                    allowed = in_chat.get(chat, set())
                else:
                    allowed = said_privately_by(author)
                assert not _leaks(prompt, allowed, everyone), \
                    f"prompt for {author} in {chat} holds what was said elsewhere"
