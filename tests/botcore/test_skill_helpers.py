"""Deterministic pieces of the skills: exact arithmetic, multiplication steps, code fences,
quiz grading."""

from __future__ import annotations

import pytest

from botcore.skills.assistant import balance_fences
from botcore.tutoring.quiz import QuizQuestion, is_correct, make_quiz, normalize_topic
from botcore.tutoring.solver import solve
from botcore.tutoring.solver_reply import render_steps


@pytest.mark.parametrize("text,expected", [
    ("what is 17*23?", "Answer: 391"),
    ("compute (3 + 4) ^ 2 please", "Answer: 49"),
    ("1/3 + 1/6", "Answer: 1/2 = 0.5"),
])
def test_exact_arithmetic(text: str, expected: str) -> None:
    solution = solve(text)
    assert solution is not None and render_steps(solution, "en").endswith(expected)
    assert solve("tell me about cats") is None and solve("divide 5 / 0") is None


def test_multiplication_steps_add_up() -> None:
    steps = render_steps(solve("17 * 23"), "en")  # type: ignore[arg-type]
    assert "Add them: 340 + 51 = 391" in steps and steps.endswith("Answer: 391")
    assert "Split" not in render_steps(solve("17 + 23"), "en")  # type: ignore[arg-type]
    assert "Split" not in render_steps(solve("17 * 20"), "en")  # type: ignore[arg-type]


def test_unbalanced_code_fences_are_repaired() -> None:
    assert balance_fences("def f():\n    pass\n```") == "```\ndef f():\n    pass\n```"
    assert balance_fences("```python\nx = 1") == "```python\nx = 1\n```"
    assert balance_fences("```\nok\n```") == "```\nok\n```"


def test_quiz_grading_is_exact() -> None:
    assert is_correct(QuizQuestion("x", "3/4"), "0.75")
    assert is_correct(QuizQuestion("x", "-31"), "it's -31")
    assert not is_correct(QuizQuestion("x", "-31"), "31")
    mc = QuizQuestion("capital?", "Paris", ["Lyon", "Paris", "Nice"])
    assert is_correct(mc, "b") and is_correct(mc, "Paris") and is_correct(mc, "2")
    assert not is_correct(mc, "a")
    quiz = make_quiz("math", seed=3)
    assert len(quiz.questions) == 5 and all(q.answer for q in quiz.questions)
    assert normalize_topic("Geography") == "geography" and normalize_topic("knitting") is None
