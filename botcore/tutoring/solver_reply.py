"""Tutor replies from the solver: steps rendered by code, homework hints, and the number check.

The model may write a short explanation; :func:`check_numbers` accepts it only when every number
in it is one the solver knows (given in the question, or computed by a step) and every stated
result (``= 36``, ``the answer is 36``, ``等于36``) is one the solver computed. A reply that fails
is replaced: by the solver's steps when there is a solution, else by :func:`not_sure` — an honest
"let's set it up together" with the numbers the question gave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from botcore.i18n import Text
from botcore.tutoring.solver import normalize
from botcore.tutoring.solver_numbers import fmt, numbers_in, terminates
from botcore.tutoring.solver_types import Solution

ANSWER = Text("Answer: {answer}", "答案：{answer}")
FIRST_STEP = Text("Here's the first step:\n{step}\n\nNow try the next step yourself — what do you "
                  "get?", "先看第一步：\n{step}\n\n接下来你自己试试下一步——你算出来是多少？")
SET_UP = Text("Let's set it up: {setup}\n\nWork it out step by step — what do you get?",
              "我们先列式：{setup}\n\n一步一步算出来——你得到多少？")
NOT_SURE = Text("I'm not sure — let's set it up together. {setup}",
                "我不太确定——我们一起来列式吧。{setup}")
GIVEN = Text("The question gives {numbers}. What is it asking for, and which operation connects "
             "these numbers?", "题目给出的数是 {numbers}。题目要求的是什么？用哪种运算把这些数联系起来？")
NO_NUMBERS = Text("What is the question asking for? Write down what you know and what you want to "
                  "find, and we'll go from there.", "题目要求的是什么？先写下已知条件和要求的量，"
                  "我们再一步一步来。")
EXPLAIN_PROMPT = Text(
    "In one or two short sentences, explain the idea behind solving the student's problem. Do not "
    "calculate and do not state the answer: the exact worked steps are shown after your text.",
    "用一两句简短的话说明解这道题的思路，用简体中文回答。不要计算，也不要给出答案：准确的解题步骤会"
    "接在你的话后面。")

_CLAIM = re.compile(r"(?:=|≈|\bequals?\b|\bis\b|\bare\b|\bgives\b|\bmakes\b|\banswer\b:?|"
                    r"\bresult\b:?|等于|是|得|为|答案)\s*(?:about\s+|约)?"
                    r"(-?\d+ \d+/\d+(?![\d.])|-?\d[\d,]*(?:\.\d+)?(?:/\d+)?)")
_MATH_CUE = re.compile(r"[-+*/^=%]|\b(?:calculate|compute|solve|how (?:many|much|far|long)|what is|"
                       r"what's|percent|sum|product|total|convert|equation)\b|多少|几|计算|求|解|等于"
                       r"|一共|还剩|百分")


@dataclass(frozen=True, slots=True)
class NumberCheck:
    """What the number check found: ``ok`` when nothing in the text is unverified."""

    ok: bool
    unverified: tuple[str, ...] = ()


def render_steps(solution: Solution, lang: str) -> str:
    """Numbered steps and the final answer, in ``lang``."""
    lines = [f"{i}. {step.render(lang, decimal=solution.decimal)}"
             for i, step in enumerate(solution.steps, 1)]
    answer = ("，" if lang == "zh" else ", ").join(
        a.render(lang, decimal=solution.decimal) for a in solution.answers)
    lines += ["", ANSWER.render(lang, answer=answer)]
    return "\n".join(lines)


def render_hint(solution: Solution, lang: str) -> str:
    """Homework mode: the first step only, never the final answer."""
    finals = {a.value for a in solution.answers}
    first = solution.steps[0] if solution.steps else None
    if first is not None and len(solution.steps) > 1 and first.result not in finals:
        shown = first.render(lang, decimal=solution.decimal)
        revealed = set(numbers_in(shown)) - set(solution.given)
        if not revealed & finals:
            return FIRST_STEP.render(lang, step=shown)
    return SET_UP.render(lang, setup=solution.setup)


def looks_computational(text: str) -> bool:
    """A question that asks for a number (so an unverified number in the reply is a risk)."""
    t = normalize(text)
    found = numbers_in(t, skip_list_marks=False)
    return bool(found) and (len(found) >= 2 or bool(_MATH_CUE.search(t)))


_ASKS = re.compile(r"\?|？|\bhow (?:many|much|far|long)\b|\bwhat(?: is|'s)\b|\b(?:calculate|compute|"
                   r"solve|work out|find)\b|多少|几|求|计算|解")


def asks_for_number(text: str) -> bool:
    """A question (not a statement) that asks for a number: "how far…?", "求…", "计算…"."""
    return looks_computational(text) and bool(_ASKS.search(normalize(text)))


def check_numbers(reply: str, question: str, solution: Solution | None) -> NumberCheck:
    """Check every number the model wrote against the question and the solver's values."""
    allowed: set[sympy.Expr] = set(numbers_in(normalize(question), skip_list_marks=False))
    results: set[sympy.Expr] = set()
    if solution is not None:
        allowed |= solution.values()
        results = solution.results()
        if solution.kind == "percent":
            allowed.add(sympy.Integer(100))
    bad = [fmt(n) for n in numbers_in(reply) if not _known(n, allowed)]
    if solution is not None:
        for m in _CLAIM.finditer(reply.lower()):
            claimed = numbers_in(m.group(1), skip_list_marks=False)
            if claimed and not _known(claimed[0], results):
                bad.append(m.group(1))
    else:  # no solver values: a result stated after "=" cannot be verified at all
        bad += [m.group(1) for m in re.finditer(r"=\s*(-?\d[\d,./]*)", reply)]
    return NumberCheck(not bad, tuple(bad))


def _known(n: sympy.Expr, values: set[sympy.Expr]) -> bool:
    """``n`` is one of ``values``, or a correctly rounded decimal (2+ places) of one that has no
    exact decimal (``0.333`` for 1/3, ``1.414`` for √2)."""
    if n in values:
        return True
    if not isinstance(n, sympy.Rational) or not terminates(n):
        return False
    places = next(k for k in range(64) if (n * 10**k).is_Integer)
    if places < 2:
        return False
    for v in values:
        if isinstance(v, sympy.Rational) and terminates(v):
            continue
        if abs(float(sympy.N(v - n, 30))) <= 0.5 * 10**-places + 1e-15:
            return True
    return False


def not_sure(question: str, lang: str) -> str:
    """The honest reply when no verified number can be given: set the problem up together."""
    found = numbers_in(normalize(question), skip_list_marks=False)
    sep = "、" if lang == "zh" else ", "
    setup = (GIVEN.render(lang, numbers=sep.join(fmt(n, decimal=True) for n in found[:8]))
             if found else NO_NUMBERS.render(lang))
    return NOT_SURE.render(lang, setup=setup)


def trim_explanation(text: str, max_sentences: int = 2) -> str:
    """The first sentences of the model's text (CJK and Latin sentence ends), no list items."""
    text = text.strip().split("\n\n")[0]
    parts = re.split(r"(?<=[.!?。！？])\s*", text)
    kept = "".join(p if p.endswith(tuple("。！？")) else p + " " for p in parts[:max_sentences])
    return kept.strip()
