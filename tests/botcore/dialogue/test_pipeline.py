"""A message's path through the code: each stage entered once, in order, and ended early where the
turn is over (issue #15). The stages are recorded through the pipeline's own composition."""

from __future__ import annotations

import ast
import dis
import sys
import uuid
from pathlib import Path
from types import FrameType
from typing import Any

from botcore.dialogue import manager as manager_module
from botcore.dialogue.manager import DialogueManager
from botcore.dialogue.pipeline import Pipeline, Stage
from botcore.dialogue.session import Session
from botcore.dialogue.turn import Next, Turn
from botcore.messages import IncomingMessage
from botcore.runtime import Runtime

STAGES = Path(__file__).resolve().parents[3] / "botcore" / "dialogue" / "stages"
ORDER = [
    "address", "watch_busy", "InOrder", "Admission", "rate_limit", "storage_guard",
    "hold_conversation", "keep_language", "Buttons", "clean_input", "known_user", "StaffReply",
    "Commands", "record_message", "HumanHandoff", "QuizAnswer", "Understand", "Remember",
    "persist", "Safety", "Route", "recall", "RunSkill",
]


def msg(text: str, user: str, **kw: Any) -> IncomingMessage:
    return IncomingMessage(platform="test", message_id=uuid.uuid4().hex, chat_id=kw.pop("chat", user),
                           user_id=user, text=text, **kw)


def recorded(manager: DialogueManager) -> list[str]:
    """Rebuild the manager's pipeline with every stage wrapped to note its entry."""
    entered: list[str] = []

    def note(stage: Stage) -> Stage:
        name = getattr(stage, "__name__", type(stage).__name__)

        async def wrapped(turn: Turn, session: Session, call_next: Next) -> None:
            entered.append(name)
            await stage(turn, session, call_next)

        return wrapped

    manager.pipeline = Pipeline(manager.session, [note(s) for s in manager.pipeline.stages])
    return entered


def test_the_manager_composes_the_stages_in_the_documented_order(runtime: Runtime) -> None:
    names = [getattr(s, "__name__", type(s).__name__) for s in runtime.manager.pipeline.stages]
    assert names == ORDER


async def test_a_chat_message_enters_every_stage_once_in_order(runtime: Runtime) -> None:
    entered = recorded(runtime.manager)
    [reply] = await runtime.manager.handle(msg("hello there", uuid.uuid4().hex[:8]))
    assert reply.text == "You said: hello there" and reply.turn_id is not None
    assert entered == ORDER


async def test_a_command_ends_at_the_commands_stage(runtime: Runtime) -> None:
    entered = recorded(runtime.manager)
    [reply] = await runtime.manager.handle(msg("/help", uuid.uuid4().hex[:8]))
    assert "/help" in reply.text
    assert entered == ORDER[: ORDER.index("Commands") + 1]


async def test_a_duplicate_ends_at_admission(runtime: Runtime) -> None:
    first = msg("only once", uuid.uuid4().hex[:8])
    assert len(await runtime.manager.handle(first)) == 1
    entered = recorded(runtime.manager)
    assert await runtime.manager.handle(first) == []
    assert entered == ORDER[: ORDER.index("Admission") + 1]


async def test_a_rate_limited_message_ends_at_the_rate_limit(runtime: Runtime) -> None:
    mgr, user = runtime.manager, uuid.uuid4().hex[:8]
    mgr.settings = mgr.settings.model_copy(update={"rate_limit_user": 1})
    assert len(await mgr.handle(msg("one", user))) == 1
    entered = recorded(mgr)
    [notice] = await mgr.handle(msg("two", user))
    assert "faster" in notice.text and notice.notice
    assert entered == ORDER[: ORDER.index("rate_limit") + 1]


async def test_an_unaddressed_group_message_ends_at_once(runtime: Runtime) -> None:
    entered = recorded(runtime.manager)
    user = uuid.uuid4().hex[:8]
    out = await runtime.manager.handle(msg("chatting among ourselves", user, chat="g-" + user,
                                           chat_type="group", addressed=False))
    assert out == []
    assert entered == ["address"]


async def test_a_button_press_ends_at_the_buttons_stage(runtime: Runtime) -> None:
    user = uuid.uuid4().hex[:8]
    [answer] = await runtime.manager.handle(msg("rate me", user))
    entered = recorded(runtime.manager)
    [thanks] = await runtime.manager.handle(msg("", user, callback_data=answer.buttons[0][0].data))
    assert "Thanks" in thanks.text
    assert entered == ORDER[: ORDER.index("Buttons") + 1]


async def test_a_turn_enters_the_manager_once(runtime: Runtime) -> None:
    """The turn goes down the stages and back without calling into the manager again."""
    await runtime.manager.handle(msg("warm up", uuid.uuid4().hex[:8]))
    here = manager_module.__file__
    entries: list[str] = []

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_filename == here and _fresh(frame):
            entries.append(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        [reply] = await runtime.manager.handle(msg("hello again", uuid.uuid4().hex[:8]))
    finally:
        sys.setprofile(None)
    assert reply.text == "You said: hello again"
    assert entries == ["handle"]


def _fresh(frame: FrameType) -> bool:
    """A call, not a coroutine resumed (which the profiler also reports as a call)."""
    start = next(i.offset for i in dis.get_instructions(frame.f_code) if i.opname == "RESUME")
    return frame.f_lasti <= start


def test_each_stage_module_is_small_and_holds_one_stage() -> None:
    for path in sorted(STAGES.glob("*.py")):
        if path.name == "__init__.py":
            continue
        source = path.read_text(encoding="utf-8")
        assert len(source.splitlines()) <= 120, path.name
        public = [node.name for node in ast.parse(source).body
                  if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                  and not node.name.startswith("_")]
        assert len(public) == 1, (path.name, public)
