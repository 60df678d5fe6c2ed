"""The tutor through the dialogue manager: exact answers in English and Chinese with the instant
model and with a model that lies about numbers; homework mode; nothing unchecked is streamed."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import sympy

from botcore.inference.payloads import GenerateRequest, GenerateResult
from botcore.messages import IncomingMessage
from botcore.runtime import Runtime, open_runtime
from botcore.tutoring.solver_numbers import numbers_in
from tests.conftest import make_settings
from workers.instant import InstantExecutor

QUESTIONS = [json.loads(line) for line in (
    Path(__file__).resolve().parents[2] / "bench" / "data" / "tutor_questions.jsonl"
).read_text(encoding="utf-8").splitlines()]


def SETTINGS(tmp_path: Path):  # type: ignore[no-untyped-def]
    # a configured generator: the tutor asks it for an explanation (checked) before the steps
    return make_settings(tmp_path, rate_limit_user=1000, rate_limit_chat=1000,
                         generator_model="configured-model")


class LyingModel(InstantExecutor):
    """Writes confident, wrong arithmetic (as a 135M model does): every number is off."""

    calls = 0

    async def generate(self, request: GenerateRequest, on_delta=None) -> GenerateResult:  # type: ignore[no-untyped-def]
        LyingModel.calls += 1
        text = ("1. First, 15 × 24 = 1.229. 2. Then subtract 7 to get 41.5. The answer is 1.229. "
                "就是 987。")
        if on_delta is not None:
            for word in text.split(" "):
                await on_delta(word + " ")
        return GenerateResult(request_id=request.request_id, text=text, tokens=20)


class Recorder:
    """A ReplyStream that keeps what the adapter would have shown."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    async def update(self, text: str) -> None:
        self.shown.append(text)


def msg(text: str, user: str) -> IncomingMessage:
    return IncomingMessage(platform="test", message_id=uuid.uuid4().hex, chat_id=user,
                           user_id=user, text=text)


async def ask(rt: Runtime, user: str, text: str, stream: Recorder | None = None) -> str:
    out = await rt.manager.handle(msg(text, user), stream)
    assert out, text
    return out[-1].text


def final_number(reply: str) -> sympy.Expr:
    last = reply.strip().splitlines()[-1]
    return numbers_in(last.split("=")[1] if "=" in last and "x" not in last else last)[0]


def correct(reply: str, expected: list[str]) -> bool:
    found = set(numbers_in(reply.strip().splitlines()[-1]))
    return all(sympy.Rational(e) in found for e in expected)


@pytest.mark.parametrize("model", [InstantExecutor, LyingModel])
async def test_every_question_gets_the_exact_answer_and_no_wrong_number(
        tmp_path: Path, model: type[InstantExecutor]) -> None:
    async with open_runtime(SETTINGS(tmp_path), executor=model()) as rt:
        user = "student"
        await ask(rt, user, "/mode tutor")
        right = 0
        for row in QUESTIONS:
            reply = await ask(rt, user, row["q"])
            assert correct(reply, row["answer"]), (row["q"], reply)
            right += 1
            for lie in ("1.229", "41.5", "987"):
                assert lie not in reply, (row["q"], reply)
            if row["lang"] == "zh":
                assert "答案：" in reply and "Answer" not in reply, reply
            else:
                assert "Answer: " in reply
        assert right == len(QUESTIONS) == 40


async def test_a_lying_model_is_never_streamed_and_is_replaced_when_unsolvable(
        tmp_path: Path) -> None:
    async with open_runtime(SETTINGS(tmp_path), executor=LyingModel()) as rt:
        await ask(rt, "s1", "/mode tutor")
        stream = Recorder()
        reply = await ask(rt, "s1", "What is 15% of 240? Show the steps.", stream)
        assert reply.endswith("Answer: 36") and not any("1.229" in s for s in stream.shown)
        stream = Recorder()
        q = "A train leaves at 3 pm at 80 km/h and another at 4 pm at 100 km/h. When do they meet?"
        reply = await ask(rt, "s1", q, stream)
        assert reply.startswith("I'm not sure — let's set it up together.")
        assert "80" in reply and "100" in reply and "1.229" not in reply
        assert not any("1.229" in s for s in stream.shown)
        zh = await ask(rt, "s1", "甲乙两地相距300千米，两车同时相向而行，速度分别是每小时40千米"
                                 "和60千米，几小时相遇？")
        assert zh.startswith("我不太确定——我们一起来列式吧。") and "987" not in zh


async def test_an_honest_model_explanation_is_kept_before_the_steps(tmp_path: Path) -> None:
    class Honest(InstantExecutor):
        async def generate(self, request: GenerateRequest, on_delta=None) -> GenerateResult:  # type: ignore[no-untyped-def]
            text = "Percent means per hundred, so 15% is 15/100 of 240. Extra sentence dropped."
            return GenerateResult(request_id=request.request_id, text=text + " More. More.")

    async with open_runtime(SETTINGS(tmp_path), executor=Honest()) as rt:
        await ask(rt, "s2", "/mode tutor")
        reply = await ask(rt, "s2", "What is 15% of 240?")
        assert reply.startswith("Percent means per hundred, so 15% is 15/100 of 240. Extra")
        assert reply.endswith("1. 15% = 15/100 = 0.15\n2. 15% of 240 = 0.15 × 240 = 36\n\n"
                              "Answer: 36")
    bundled = make_settings(tmp_path / "bundled", rate_limit_user=1000)
    async with open_runtime(bundled, executor=Honest()) as rt:  # the bundled generator: steps only
        await ask(rt, "s3", "/mode tutor")
        assert (await ask(rt, "s3", "What is 15% of 240?")).startswith("1. 15% = 15/100")


async def test_homework_mode_gives_the_first_step_only(tmp_path: Path) -> None:
    async with open_runtime(SETTINGS(tmp_path), executor=LyingModel()) as rt:
        user = "hw"
        await ask(rt, user, "/mode tutor")
        await ask(rt, user, "/hint on")
        reply = await ask(rt, user, "Solve 2x + 3 = 11")
        assert "Subtract 3 from both sides: 2x = 8" in reply and "x = 4" not in reply
        zh = await ask(rt, user, "解方程 5x - 4 = 16")
        assert "两边同时加上 4：5x = 20" in zh and "x = 4" not in zh and "答案" not in zh
        pct = await ask(rt, user, "What is 15% of 240?")
        assert "36" not in pct and "1.229" not in pct


async def test_a_solver_quiz_through_the_dialogue_in_chinese(tmp_path: Path) -> None:
    async with open_runtime(SETTINGS(tmp_path), executor=LyingModel()) as rt:
        user = "quiz-zh"
        start = await ask(rt, user, "/quiz 方程")
        assert "第 1/5 题（方程）：解方程" in start
        prompt = start.split("：", 1)[1].strip().splitlines()[0]
        solution = __import__("botcore.tutoring.solver", fromlist=["solve"]).solve(prompt)
        answer = str(solution.answers[0].value)
        graded = await ask(rt, user, answer)
        assert graded.startswith("✅ 答对了！")
        wrong = await ask(rt, user, "-99999")
        assert wrong.startswith("❌ 不太对——答案是") and "两边同时" in wrong


async def test_a_computable_question_reaches_the_solver_whatever_the_head_says(
        tmp_path: Path) -> None:
    async with open_runtime(SETTINGS(tmp_path), executor=LyingModel()) as rt:
        out = await rt.manager.handle(msg("What is 15% of 240? Show the steps.", "u1"))
        assert out[-1].skill == "tutor" and out[-1].text.endswith("Answer: 36")
        zh = await rt.manager.handle(msg("5千米等于多少米", "u2"))
        assert zh[-1].skill == "tutor" and zh[-1].text.endswith("答案：5000米")
        chat = await rt.manager.handle(msg("hello, I have 3 cats and I feel happy", "u3"))
        assert chat[-1].skill == "companion"


async def test_a_number_question_the_solver_cannot_do_goes_to_the_checked_tutor(
        tmp_path: Path) -> None:
    class UnsureHead(LyingModel):
        async def understand(self, texts, *, with_embedding=False):  # type: ignore[no-untyped-def]
            out = await super().understand(texts, with_embedding=with_embedding)
            scores = {"companion": 0.6, "tutor": 0.3, "faq": 0.05, "assistant": 0.05}
            return [u.model_copy(update={"skill": "companion", "scores": scores}) for u in out]

    async with open_runtime(SETTINGS(tmp_path), executor=UnsureHead()) as rt:
        q = "A train leaves at 3 pm at 80 km/h and another at 4 pm at 100 km/h. When do they meet?"
        out = await rt.manager.handle(msg(q, "u1"))
        assert out[-1].skill == "tutor" and out[-1].text.startswith("I'm not sure")
        chat = await rt.manager.handle(msg("hello, I have 3 cats and 2 dogs", "u2"))
        assert chat[-1].skill == "companion"
