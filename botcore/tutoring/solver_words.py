"""Simple word problems: rules pick the operation from cue words; the solver does the arithmetic.

Only problems with exactly two numbers and a clear cue are taken ("gave away … left" → subtract,
"each … how many" → multiply, "shared equally among" → divide); anything else is left to the
honest "let's set it up together" reply rather than guessed.
"""

from __future__ import annotations

import re

import sympy

from botcore.i18n import Text
from botcore.tutoring.solver_expr import OP
from botcore.tutoring.solver_numbers import exact
from botcore.tutoring.solver_types import Answer, Solution, Step

SETUP = Text("Write the calculation: {expr}", "列式：{expr}")

_QUESTION = re.compile(r"how (?:many|much|far|long)|what|\?|多少|几|吗|？")
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("/", re.compile(r"\b(?:shared?|split|divided?)\s+(?:\w+\s+)?(?:equally\s+)?(?:among|between|"
                     r"into)\b|equal (?:groups|parts|shares)|how many (?:does )?each|each get"
                     r"|平均分|平分|每人分|每份|分成\s*\d+\s*份|每组|每人能分|每个人分")),
    ("diff", re.compile(r"how (?:many|much) (?:more|fewer|less)|difference between|多多少|少多少"
                        r"|相差|差多少|多几|少几")),
    ("-", re.compile(r"\b(?:left|remain(?:s|ing)?|gives? away|gave away|gave|gives|eats?|ate|"
                     r"loses?|lost|sells?|sold|spends?|spent|uses?|used|takes? away|took away|"
                     r"broke|flew away|change)\b|还剩|剩下|剩余|还有多少|用去|用了|吃了|吃掉|卖了|卖掉"
                     r"|送给|给了|拿走|花了|花掉|借走|飞走|走了|找回")),
    ("*", re.compile(r"\b(?:each|every|per|apiece|an hour|a day|a week)\b|/h\b|每")),
    ("+", re.compile(r"\b(?:more|another|buys?|bought|gets?|got|finds?|found|receives?|received|"
                     r"adds?|added|gains?|gained|joins?|joined|in total|altogether|total|combined|"
                     r"in all)\b|又|再|一共|总共|共有|合计|加起来|买来|飞来|来了")),
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def solve_word(text: str) -> Solution | None:
    """A two-number word problem (text already normalized), or None when no rule is sure."""
    if not _QUESTION.search(text):
        return None
    found = [exact(n) for n in _NUMBER.findall(text)]
    if len(found) != 2:
        return None
    a, b = found
    op = next((name for name, cue in _RULES if cue.search(text)), None)
    if op is None:
        return None
    big, small = (a, b) if a >= b else (b, a)
    if op == "/":
        if small == 0:
            return None
        x, y, shown, result = big, small, "÷", big / small
    elif op in {"-", "diff"}:
        x, y, shown, result = big, small, "-", big - small
    elif op == "*":
        x, y, shown, result = a, b, "×", a * b
    else:
        x, y, shown, result = a, b, "+", a + b
    decimal = "." in text
    expr = f"{_fmt(x)} {shown} {_fmt(y)}"
    steps = (Step(SETUP, {"expr": expr}, None),
             Step(OP, {"a": x, "op": shown, "b": y, "r": result}, result))
    return Solution("word", expr, steps, (Answer(result),), (a, b), decimal=decimal)


def _fmt(value: sympy.Rational) -> str:
    from botcore.tutoring.solver_numbers import fmt

    return fmt(value, decimal=True)
