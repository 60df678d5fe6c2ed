"""Simple word problems: rules pick the operation from cue words; the solver does the arithmetic.

Only problems with exactly two numbers and a clear cue are taken. The question sentence decides
first ("how many are left" → subtract, "how much older" → difference, "how many in each bag" →
divide), then the statement ("each … costs" → multiply, "buys 3 more" → add, "gives away" →
subtract). Averages of a list are taken too. Anything else is left to the honest "let's set it
up together" reply rather than guessed.
"""

from __future__ import annotations

import re

import sympy

from botcore.i18n import Text
from botcore.tutoring.solver_expr import OP
from botcore.tutoring.solver_numbers import exact, fmt
from botcore.tutoring.solver_types import Answer, Solution, Step

SETUP = Text("Write the calculation: {expr}", "列式：{expr}")
SUM = Text("Add them up: {expr} = {r}", "先求和：{expr} = {r}")
MEAN = Text("Divide by how many there are: {s} ÷ {n} = {r}", "再除以个数：{s} ÷ {n} = {r}")

_QUESTION = re.compile(r"how (?:many|much|far|long|old)|what|\?|多少|几|吗|？")
_SENTENCE = re.compile(r"(?<=[.!?。！？，,;；])\s*")
_ASK = re.compile(r"how (?:many|much|far|long|old)|what|多少|几")
_IN_QUESTION: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("time", re.compile(r"how long|how many (?:hours|minutes|days|seconds)|多长时间|几小时|几个小时|"
                        r"多少小时|几分钟|多少分钟|几天|多少天")),
    ("-", re.compile(r"\b(?:left|remain(?:s|ing)?|still (?:have|has))\b|还剩|剩下|剩余|还有多少|还差")),
    ("diff", re.compile(r"\b(?:more|fewer|less|older|younger|taller|shorter|longer|heavier|"
                        r"lighter|farther|further|difference)\b|多多少|少多少|大多少|小多少|高多少|"
                        r"矮多少|重多少|轻多少|长多少|短多少|相差|差多少|多几|少几|大几|小几")),
    ("/", re.compile(r"\b(?:each|per|every|apiece)\b|each get|每")),
)
_IN_TEXT: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("/", re.compile(r"\b(?:shared?|split|divided?)\s+(?:\w+\s+)?(?:equally\s+)?(?:among|between|"
                     r"into)\b|\bequally\b|equal (?:groups|parts|shares)|平均分|平分|平均装|平均放")),
    ("*", re.compile(r"\b(?:each|every|per|apiece|an hour|a day|a week|times as)\b|/h\b|每|倍")),
    ("-", re.compile(r"\b(?:gives? away|gave away|gave|gives|eats?|ate|loses?|lost|sells?|sold|"
                     r"spends?|spent|uses?|used|takes? away|took away|broke|flew away)\b|用去|用了"
                     r"|吃了|吃掉|卖了|卖掉|送给|给了|拿走|花了|花掉|借走|飞走|走了")),
    ("+", re.compile(r"\b(?:more|another|buys?|bought|gets?|got|finds?|found|receives?|received|"
                     r"adds?|added|gains?|gained|joins?|joined|in total|altogether|total|combined|"
                     r"in all)\b|又|再|一共|总共|共有|合计|加起来|买来|飞来|来了")),
)
_AVERAGE = re.compile(r"\b(?:average|mean) of\b|的平均数|的平均值|平均数是多少|平均值是多少")
_COMPARE = re.compile(r"\b(?:more|fewer|less|older|younger|taller|shorter) than\b|比")
_TWO_STEP = re.compile(r"times as|倍")
_TOTAL = re.compile(r"altogether|in total|in all|together|一共|总共|合计|共有")
_RATE = re.compile(r"\b(?:per|each|every|an hour|a day)\b|/h\b|每")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _operation(text: str) -> str | None:
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    question = next((s for s in reversed(sentences) if _ASK.search(s)), "")
    for op, cue in _IN_QUESTION:
        if question and cue.search(question):
            if op == "time":  # how long at a rate: distance ÷ speed; anything else: unsure
                return "/" if _RATE.search(text) else None
            return op
    if _COMPARE.search(text):
        return None  # "8, which is 3 more than Lily's": the unknown may be either side
    if _TWO_STEP.search(text) and _TOTAL.search(question):
        return None  # "3 times as many … altogether" takes two steps
    return next((op for op, cue in _IN_TEXT if cue.search(text)), None)


def solve_average(text: str) -> Solution | None:
    """``the average of 4, 8 and 12`` → (4 + 8 + 12) ÷ 3."""
    if not _AVERAGE.search(text) or not _QUESTION.search(text):
        return None
    found = [exact(n) for n in _NUMBER.findall(text)]
    if len(found) < 2:
        return None
    total = sum(found, start=sympy.Integer(0))
    mean = total / len(found)
    expr = " + ".join(fmt(v, decimal=True) for v in found)
    steps = (Step(SUM, {"expr": expr, "r": total}, total),
             Step(MEAN, {"s": total, "n": len(found), "r": mean}, mean))
    return Solution("word", f"({expr}) ÷ {len(found)}", steps, (Answer(mean),), tuple(found),
                    decimal="." in text)


def solve_word(text: str) -> Solution | None:
    """A two-number word problem (text already normalized), or None when no rule is sure."""
    if not _QUESTION.search(text):
        return None
    if average := solve_average(text):
        return average
    found = [exact(n) for n in _NUMBER.findall(text)]
    if len(found) != 2:
        return None
    op = _operation(text)
    if op is None:
        return None
    a, b = found
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
    expr = f"{fmt(x, decimal=True)} {shown} {fmt(y, decimal=True)}"
    steps = (Step(SETUP, {"expr": expr}, None),
             Step(OP, {"a": x, "op": shown, "b": y, "r": result}, result))
    return Solution("word", expr, steps, (Answer(result),), (a, b), decimal=decimal)
