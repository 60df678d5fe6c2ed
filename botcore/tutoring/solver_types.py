"""What the solver returns: exact values and the steps that lead to them, rendered by code."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import sympy

from botcore.errors import BotcoreError
from botcore.i18n import Text
from botcore.tutoring.solver_numbers import fmt, fmt_answer, is_exact_number


class SolverError(BotcoreError):
    """The text holds a problem the solver refuses (division by zero, numbers too large)."""


@dataclass(frozen=True, slots=True)
class Step:
    """One worked step: a fixed text in both languages and the values it shows.

    Values are exact sympy numbers (shown with :func:`fmt`), :class:`Text` (unit names) or
    plain strings (an equation as written); ``result`` is what the step computes.
    """

    text: Text
    values: Mapping[str, object] = field(default_factory=dict)
    result: sympy.Expr | None = None

    def render(self, lang: str, *, decimal: bool = False, hide_result: bool = False) -> str:
        """The step in ``lang``; ``hide_result`` replaces the result by ``?`` (homework hints)."""
        shown: dict[str, str] = {}
        for name, value in self.values.items():
            if hide_result and name == "r":
                shown[name] = "?"
            elif isinstance(value, Text):
                shown[name] = value.render(lang)
            elif isinstance(value, sympy.Expr):
                shown[name] = fmt(value, decimal=decimal)
            else:
                shown[name] = str(value)
        return self.text.render(lang, **shown)

    def numbers(self) -> Iterator[sympy.Expr]:
        """Every exact number this step shows or computes."""
        for value in self.values.values():
            if is_exact_number(value):
                yield value  # type: ignore[misc]
        if self.result is not None and is_exact_number(self.result):
            yield self.result


@dataclass(frozen=True, slots=True)
class Answer:
    """One final value: ``x = 4`` (name ``x``), ``36`` (no name), ``5000 m`` (a unit)."""

    value: sympy.Expr
    name: str | None = None
    unit: Text | None = None

    def render(self, lang: str, *, decimal: bool = False) -> str:
        """The value in every helpful form, with its name and unit."""
        text = fmt_answer(self.value, decimal=decimal)
        if self.unit is not None:
            label = self.unit.render(lang)
            text += ("" if lang == "zh" or label.startswith(("%", "°")) else " ") + label
        return f"{self.name} = {text}" if self.name else text


@dataclass(frozen=True, slots=True)
class Solution:
    """An exactly solved problem.

    Attributes:
        kind: ``arithmetic``, ``percent``, ``units``, ``equation``, ``system`` or ``word``.
        setup: the problem as the solver understood it (``15% × 240``, ``2x + 3 = 11``).
        steps: the worked steps, in order.
        answers: the final values.
        given: the numbers the question gave.
        decimal: show non-integers as decimals (the question used decimals, % or units).
    """

    kind: str
    setup: str
    steps: tuple[Step, ...]
    answers: tuple[Answer, ...]
    given: tuple[sympy.Expr, ...] = ()
    decimal: bool = False

    def values(self) -> set[sympy.Expr]:
        """Every number a correct explanation may mention: given, intermediate and final."""
        out: set[sympy.Expr] = set(self.given)
        for step in self.steps:
            out.update(step.numbers())
        out.update(a.value for a in self.answers)
        return out

    def results(self) -> set[sympy.Expr]:
        """The numbers the steps compute (what a claim such as ``= 36`` may state)."""
        out = {s.result for s in self.steps if s.result is not None}
        return out | {a.value for a in self.answers}
