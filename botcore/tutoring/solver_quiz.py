"""Quiz questions generated from the solver: numbers randomized, answers computed by the same
exact solver the tutor uses (never by hand), the worked steps shown after each answer."""

from __future__ import annotations

import random
from collections.abc import Callable

from botcore.i18n import Text, normalize_lang
from botcore.tutoring.solver import solve
from botcore.tutoring.solver_reply import render_steps

SOLVER_TOPICS: dict[str, Text] = {
    "percentages": Text("percentages", "百分数"),
    "fractions": Text("fractions", "分数"),
    "equations": Text("equations", "方程"),
    "units": Text("unit conversions", "单位换算"),
    "powers": Text("powers and roots", "乘方与开方"),
}
TOPIC_WORDS = {"percent": "percentages", "percentage": "percentages", "百分": "percentages",
               "fraction": "fractions", "分数": "fractions", "equation": "equations",
               "algebra": "equations", "方程": "equations", "unit": "units",
               "conversion": "units", "单位": "units", "换算": "units", "power": "powers",
               "root": "powers", "乘方": "powers", "开方": "powers", "平方": "powers"}

PCT_OF = Text("What is {p}% of {x}?", "{x}的{p}%是多少？")
PCT_WHAT = Text("What percent is {a} of {b}?", "{a}是{b}的百分之几？")
PCT_UP = Text("Increase {x} by {p}%.", "{x}增加{p}%是多少？")
PCT_DOWN = Text("Decrease {x} by {p}%.", "{x}减少{p}%是多少？")
FRACTION = Text("What is {a} {op} {b}? (a fraction or decimal)", "{a} {op} {b} 等于多少？（写分数或小数）")
EQUATION = Text("Solve {eq}. What is x?", "解方程 {eq}，x 等于多少？")
CONVERT = Text("Convert {x} {u} to {v}.", "{x}{u}等于多少{v}？")
POWER = Text("What is {a}^{n}?", "{a}的{n}次方是多少？")
ROOT = Text("What is the square root of {a}?", "{a}的平方根是多少？")

_UNITS = (("km", "m", "千米", "米"), ("m", "cm", "米", "厘米"), ("cm", "mm", "厘米", "毫米"),
          ("kg", "g", "千克", "克"), ("t", "kg", "吨", "千克"), ("h", "min", "小时", "分钟"),
          ("min", "s", "分钟", "秒"), ("l", "ml", "升", "毫升"), ("m", "km", "米", "千米"),
          ("g", "kg", "克", "千克"))


def _percentages(rng: random.Random, lang: str) -> str:
    p = rng.choice([5, 10, 12, 15, 20, 25, 30, 40, 50, 75])
    x = rng.randrange(20, 520, 20)
    kind = rng.choice(["of", "what", "up", "down"])
    if kind == "what":
        b = rng.randrange(20, 420, 20)
        return PCT_WHAT.render(lang, a=b * p // 100 if b * p % 100 == 0 else b // 2, b=b)
    return {"of": PCT_OF, "up": PCT_UP, "down": PCT_DOWN}[kind].render(lang, p=p, x=x)


def _fractions(rng: random.Random, lang: str) -> str:
    a, b = rng.randint(1, 7), rng.randint(2, 9)
    c, d = rng.randint(1, 7), rng.randint(2, 9)
    return FRACTION.render(lang, a=f"{a}/{b}", op=rng.choice(["+", "-", "×", "÷"]), b=f"{c}/{d}")


def _equations(rng: random.Random, lang: str) -> str:
    x, a, b = rng.randint(-10, 12), rng.randint(2, 9), rng.randint(-20, 20)
    c = a * x + b
    eq = f"{a}x {'+' if b >= 0 else '-'} {abs(b)} = {c}"
    return EQUATION.render(lang, eq=eq)


def _units(rng: random.Random, lang: str) -> str:
    u, v, uz, vz = rng.choice(_UNITS)
    x = rng.choice([rng.randint(2, 12), rng.randint(1, 9) + 0.5, rng.randint(1, 30) * 100])
    shown = str(x).removesuffix(".0")
    return CONVERT.render(lang, x=shown, u=uz if lang == "zh" else u, v=vz if lang == "zh" else v)


def _powers(rng: random.Random, lang: str) -> str:
    if rng.random() < 0.5:
        return ROOT.render(lang, a=rng.randint(2, 20) ** 2)
    a = rng.randint(2, 9)
    return POWER.render(lang, a=a, n=rng.randint(2, 5 if a < 5 else 3))


GENERATORS: dict[str, Callable[[random.Random, str], str]] = {
    "percentages": _percentages, "fractions": _fractions, "equations": _equations,
    "units": _units, "powers": _powers,
}


def solver_question(topic: str, rng: random.Random, lang: str | None = None
                    ) -> tuple[str, str, str]:
    """``(prompt, exact answer, worked steps)`` for one random question on ``topic``."""
    lang = normalize_lang(lang)
    for _ in range(20):
        prompt = GENERATORS[topic](rng, lang)
        solution = solve(prompt)
        if solution is not None and len(solution.answers) == 1:
            steps = render_steps(solution, lang).split("\n\n")[0]
            return prompt, str(solution.answers[0].value), steps
    raise RuntimeError(f"the solver could not solve a generated {topic} question")  # a bug


def solver_topic(text: str) -> str | None:
    """The solver topic named in ``text`` (English or Chinese), or None."""
    t = text.strip().lower()
    if t in SOLVER_TOPICS:
        return t
    return next((topic for word, topic in TOPIC_WORDS.items() if word in t), None)
