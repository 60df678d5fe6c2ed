"""Quizzes for ``/quiz TOPIC``: arithmetic generated and graded exactly (sympy), other topics from
a small multiple-choice bank (``botcore/data/quiz_bank.yaml``)."""

from __future__ import annotations

import json
import random
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

MATH_TOPICS = {"math", "maths", "arithmetic", "addition", "subtraction", "multiplication",
               "division", "fractions", "times tables"}
QUIZ_LENGTH = 5


@dataclass(slots=True)
class QuizQuestion:
    """One question; ``answer`` is exact (a number as text for math, else a choice's text)."""

    prompt: str
    answer: str
    choices: list[str] = field(default_factory=list)
    why: str = ""


@dataclass(slots=True)
class Quiz:
    """A quiz in progress (kept in session state as JSON)."""

    topic: str
    questions: list[QuizQuestion]
    index: int = 0
    score: int = 0

    def to_json(self) -> str:
        """Serialize for session state."""
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Quiz:
        """Deserialize from session state."""
        d = json.loads(raw)
        return cls(d["topic"], [QuizQuestion(**q) for q in d["questions"]], d["index"], d["score"])

    @property
    def current(self) -> QuizQuestion:
        """The question being asked."""
        return self.questions[self.index]

    @property
    def finished(self) -> bool:
        """All questions answered."""
        return self.index >= len(self.questions)


@lru_cache(maxsize=1)
def _bank() -> dict[str, list[dict[str, Any]]]:
    text = resources.files("botcore").joinpath("data/quiz_bank.yaml").read_text(encoding="utf-8")
    data: dict[str, list[dict[str, Any]]] = yaml.safe_load(text)
    return data


def topics() -> list[str]:
    """Topics /quiz knows."""
    return ["math", *sorted(_bank())]


def normalize_topic(text: str) -> str | None:
    """Map what the user typed to a known topic (None if unknown)."""
    t = text.strip().lower()
    if not t or t in MATH_TOPICS or "math" in t:
        return "math"
    for topic in _bank():
        if t == topic or t.rstrip("s") == topic.rstrip("s") or topic.startswith(t):
            return topic
    return None


def _math_question(rng: random.Random) -> QuizQuestion:
    import sympy

    kind = rng.choice(["+", "-", "*", "/", "frac"])
    if kind == "frac":
        a, b, c, d = rng.randint(1, 5), rng.randint(2, 6), rng.randint(1, 5), rng.randint(2, 6)
        value = sympy.Rational(a, b) + sympy.Rational(c, d)
        return QuizQuestion(f"What is {a}/{b} + {c}/{d}? (a fraction or decimal)", str(value),
                            why=f"Common denominator: {a}/{b} + {c}/{d} = {value}.")
    if kind == "/":
        b, q = rng.randint(2, 12), rng.randint(2, 12)
        a = b * q
    else:
        a, b = rng.randint(2, 99 if kind != "*" else 15), rng.randint(2, 99 if kind != "*" else 15)
    expr = f"{a} {kind} {b}"
    value = sympy.sympify(expr.replace("/", "/"))
    return QuizQuestion(f"What is {expr}?", str(value), why=f"{expr} = {value}.")


def make_quiz(topic: str, *, seed: int | None = None, length: int = QUIZ_LENGTH) -> Quiz:
    """A new quiz on a known topic (see :func:`normalize_topic`)."""
    rng = random.Random(seed)
    if topic == "math":
        return Quiz(topic, [_math_question(rng) for _ in range(length)])
    items = list(_bank()[topic])
    rng.shuffle(items)
    questions = []
    for item in items[:length]:
        choices = list(item["choices"])
        rng.shuffle(choices)
        questions.append(QuizQuestion(item["q"], str(item["answer"]), choices, item.get("why", "")))
    return Quiz(topic, questions)


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:\s*/\s*-?\d+)?")


def is_correct(question: QuizQuestion, reply: str) -> bool:
    """Grade exactly: numbers by value (3/4 == 0.75), choices by text, letter or number."""
    text = reply.strip()
    if question.choices:
        low = text.lower().strip(" .!)")
        for i, choice in enumerate(question.choices):
            if low in {choice.lower(), chr(ord("a") + i), str(i + 1)}:
                return choice == question.answer
        return low == question.answer.lower()
    import sympy

    found = _NUMBER.findall(text.replace(",", ""))
    if not found:
        return False
    try:
        given = sympy.nsimplify(sympy.sympify(found[-1].replace(" ", "")), rational=True)
        return bool(sympy.simplify(given - sympy.sympify(question.answer)) == 0)
    except (sympy.SympifyError, TypeError, ZeroDivisionError):
        return False


def format_question(quiz: Quiz) -> str:
    """The current question as text (choices lettered)."""
    q = quiz.current
    head = f"Question {quiz.index + 1}/{len(quiz.questions)} ({quiz.topic}): {q.prompt}"
    if q.choices:
        head += "\n" + "\n".join(f"{chr(ord('A') + i)}) {c}" for i, c in enumerate(q.choices))
    return head
