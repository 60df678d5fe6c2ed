"""Quizzes for ``/quiz TOPIC``: arithmetic generated and graded exactly (sympy); percentages,
fractions, equations, unit conversions and powers generated from the tutor's exact solver
(:mod:`botcore.tutoring.solver_quiz`); other topics from a small multiple-choice bank
(``botcore/data/quiz_bank.yaml``)."""

from __future__ import annotations

import json
import random
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from botcore.i18n import Text, normalize_lang
from botcore.tutoring.solver_quiz import SOLVER_TOPICS, solver_question, solver_topic

MATH_TOPICS = {"math", "maths", "arithmetic", "addition", "subtraction", "multiplication",
               "division", "times tables"}
ZH_TOPICS = {"数学": "math", "算术": "math", "科学": "science", "地理": "geography",
             "编程": "programming", "程序": "programming", "历史": "history"}
QUIZ_LENGTH = 5
TOPIC_NAMES = {"math": Text("math", "数学"), "science": Text("science", "科学"),
               "geography": Text("geography", "地理"), "programming": Text("programming", "编程"),
               "history": Text("history", "历史")}
WHAT_IS = Text("What is {expr}?", "{expr} 等于多少？")
WHAT_IS_FRACTION = Text("What is {expr}? (a fraction or decimal)", "{expr} 等于多少？（写分数或小数）")
FRACTION_WHY = Text("Common denominator: {expr} = {value}.", "先通分：{expr} = {value}。")
QUESTION = Text("Question {n}/{total} ({topic}): {prompt}", "第 {n}/{total} 题（{topic}）：{prompt}")


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
    return ["math", *SOLVER_TOPICS, *sorted(_bank())]


def topic_name(topic: str, lang: str | None = None) -> str:
    """A topic's name in ``lang`` (bank topics without a translation keep their own name)."""
    name = TOPIC_NAMES.get(topic) or SOLVER_TOPICS.get(topic)
    return name.render(lang) if name else topic


def normalize_topic(text: str) -> str | None:
    """Map what the user typed (English or Chinese) to a known topic (None if unknown)."""
    t = text.strip().lower()
    if not t or t in MATH_TOPICS or "math" in t:
        return "math"
    if found := solver_topic(t):
        return found
    for word, topic in ZH_TOPICS.items():
        if word in t and (topic == "math" or topic in _bank()):
            return topic
    for topic in _bank():
        if t == topic or t.rstrip("s") == topic.rstrip("s") or topic.startswith(t):
            return topic
    return None


def _math_question(rng: random.Random, lang: str | None = None) -> QuizQuestion:
    import sympy

    kind = rng.choice(["+", "-", "*", "/", "frac"])
    if kind == "frac":
        a, b, c, d = rng.randint(1, 5), rng.randint(2, 6), rng.randint(1, 5), rng.randint(2, 6)
        value = sympy.Rational(a, b) + sympy.Rational(c, d)
        frac = f"{a}/{b} + {c}/{d}"
        return QuizQuestion(WHAT_IS_FRACTION.render(lang, expr=frac), str(value),
                            why=FRACTION_WHY.render(lang, expr=frac, value=value))
    if kind == "/":
        b, q = rng.randint(2, 12), rng.randint(2, 12)
        a = b * q
    else:
        a, b = rng.randint(2, 99 if kind != "*" else 15), rng.randint(2, 99 if kind != "*" else 15)
    expr = f"{a} {kind} {b}"
    value = sympy.sympify(expr.replace("/", "/"))
    return QuizQuestion(WHAT_IS.render(lang, expr=expr), str(value), why=f"{expr} = {value}.")


def _localized(item: dict[str, Any], lang: str | None) -> tuple[str, list[str], str, str]:
    """(question, choices, answer, why) of a bank item in ``lang`` (English when untranslated)."""
    choices = [str(c) for c in item["choices"]]
    answer, why = str(item["answer"]), str(item.get("why", ""))
    zh = item.get("zh")
    if normalize_lang(lang) != "zh" or not zh or len(zh.get("choices", ())) != len(choices):
        return str(item["q"]), choices, answer, why
    local = [str(c) for c in zh["choices"]]
    return str(zh["q"]), local, local[choices.index(answer)], str(zh.get("why", why))


def make_quiz(topic: str, *, seed: int | None = None, length: int = QUIZ_LENGTH,
              lang: str | None = None) -> Quiz:
    """A new quiz on a known topic (see :func:`normalize_topic`), asked in ``lang``."""
    rng = random.Random(seed)
    if topic == "math":
        return Quiz(topic, [_math_question(rng, lang) for _ in range(length)])
    if topic in SOLVER_TOPICS:
        made = [solver_question(topic, rng, lang) for _ in range(length)]
        return Quiz(topic, [QuizQuestion(prompt, answer, why="\n" + steps)
                            for prompt, answer, steps in made])
    items = list(_bank()[topic])
    rng.shuffle(items)
    questions = []
    for item in items[:length]:
        prompt, choices, answer, why = _localized(item, lang)
        rng.shuffle(choices)
        questions.append(QuizQuestion(prompt, answer, choices, why))
    return Quiz(topic, questions)


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:\s*/\s*-?\d+)?")


def is_correct(question: QuizQuestion, reply: str) -> bool:
    """Grade exactly: numbers by value (3/4 == 0.75), choices by text, letter or number."""
    text = unicodedata.normalize("NFKC", reply).strip()  # full-width digits and letters
    if question.choices:
        low = text.lower().strip(" .!)。！）")
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


def format_question(quiz: Quiz, lang: str | None = None) -> str:
    """The current question as text in ``lang`` (choices lettered)."""
    q = quiz.current
    head = QUESTION.render(lang, n=quiz.index + 1, total=len(quiz.questions),
                           topic=topic_name(quiz.topic, lang), prompt=q.prompt)
    if q.choices:
        head += "\n" + "\n".join(f"{chr(ord('A') + i)}) {c}" for i, c in enumerate(q.choices))
    return head
