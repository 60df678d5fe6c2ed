"""Linear equations in one unknown and 2×2 linear systems, solved exactly with worked steps."""

from __future__ import annotations

import re

import sympy

from botcore.i18n import Text
from botcore.tutoring.solver_expr import parse, show, to_sympy, variables
from botcore.tutoring.solver_numbers import fmt
from botcore.tutoring.solver_types import Answer, Solution, SolverError, Step

MOVE_NUMBER = Text("Subtract {b} from both sides: {eq}", "两边同时减去 {b}：{eq}")
ADD_NUMBER = Text("Add {b} to both sides: {eq}", "两边同时加上 {b}：{eq}")
COLLECT = Text("Expand, then bring the {v} terms to the left and the numbers to the right: {eq}",
               "去括号，把含 {v} 的项移到左边，数移到右边：{eq}")
DIVIDE = Text("Divide both sides by {a}: {eq}", "两边同时除以 {a}：{eq}")
MULTIPLY_BOTH = Text("Multiply both sides by {a}: {eq}", "两边同时乘 {a}：{eq}")
NEGATE = Text("Multiply both sides by -1: {eq}", "两边同时乘 -1：{eq}")
CHECK = Text("Check: with {v} = {r}, {left} = {l} and {right} = {rr}",
             "检验：当 {v} = {r} 时，{left} = {l}，{right} = {rr}")
EXPRESS = Text("From equation {i}: {eq}", "由第 {i} 个方程得：{eq}")
SUBSTITUTE = Text("Substitute into equation {i}: {eq}", "代入第 {i} 个方程：{eq}")
SOLVE_FOR = Text("Solve it: {eq}", "解得：{eq}")
BACK = Text("Put {v} = {r} back: {eq}", "把 {v} = {r} 代回：{eq}")

_EQUATION_CHARS = re.compile(r"[0-9a-z.+\-*/^()=√\s]+")


def _show(expr: sympy.Expr) -> str:
    """A sympy expression the way a student writes it: ``2x + 3``."""
    text = sympy.sstr(expr, order="lex").replace("**", "^")
    return re.sub(r"(\d)\*([a-z(])", r"\1\2", text).replace("*", " × ")


def _linear(expr: sympy.Expr, var: sympy.Symbol) -> tuple[sympy.Expr, sympy.Expr]:
    """``a, b`` with ``expr == a*var + b``; raises unless ``expr`` is linear in ``var``."""
    poly = sympy.Poly(sympy.expand(expr), var)
    if poly.degree() != 1:
        raise SolverError("not a linear equation")
    a, b = poly.coeff_monomial(var), poly.coeff_monomial(1)
    if not (a.is_Rational and b.is_Rational):
        raise SolverError("coefficients are not plain numbers")
    return a, b


def solve_linear(text: str) -> Solution:
    """``2x + 3 = 11`` → x = 4 with steps; raises :class:`SolverError` otherwise."""
    if text.count("=") != 1:
        raise SolverError("not one equation")
    left_text, right_text = text.split("=")
    left_node, right_node = parse(left_text), parse(right_text)
    names = variables(left_node) | variables(right_node)
    if len(names) != 1:
        raise SolverError("one unknown needed")
    name = names.pop()
    var = sympy.Symbol(name)
    left, right = to_sympy(left_node), to_sympy(right_node)
    a, b = _linear(left - right, var)
    value = -b / a
    steps: list[Step] = []
    if right.is_number and left.has(var) and "(" not in left_text:
        la, lb = _linear(left, var)
    else:
        la, lb = sympy.Integer(0), sympy.Integer(0)
    if la != 0 and lb != 0:
        moved = right - lb
        eq = f"{_show(la * var)} = {fmt(moved)}"
        steps.append(Step(MOVE_NUMBER if lb > 0 else ADD_NUMBER, {"b": abs(lb), "eq": eq},
                          moved))
        coeff, rhs = la, moved
    elif la != 0:
        coeff, rhs = la, right
    else:
        coeff, rhs = a, -b
        steps.append(Step(COLLECT, {"v": name, "eq": f"{_show(coeff * var)} = {fmt(rhs)}"}, rhs))
    if coeff == -1:
        steps.append(Step(NEGATE, {"eq": f"{name} = {fmt(value)}"}, value))
    elif coeff.q != 1 and coeff.p in (1, -1):
        inv = 1 / coeff
        steps.append(Step(MULTIPLY_BOTH, {"a": inv, "eq": f"{name} = {fmt(rhs)} × "
                                                          f"{fmt(inv) if inv > 0 else f'({fmt(inv)})'}"
                                                          f" = {fmt(value)}"}, value))
    elif coeff != 1:
        shown = fmt(coeff) if coeff > 0 else f"({fmt(coeff)})"
        steps.append(Step(DIVIDE, {"a": coeff, "eq": f"{name} = {fmt(rhs)} ÷ {shown} = "
                                                     f"{fmt(value)}"}, value))
    check_l, check_r = left.subs(var, value), right.subs(var, value)
    steps.append(Step(CHECK, {"v": name, "r": value, "left": show(left_node).strip(),
                              "l": check_l, "right": show(right_node).strip(), "rr": check_r},
                      check_l))
    setup = f"{show(left_node)} = {show(right_node)}"
    numbers = tuple(sympy.Rational(n) for n in re.findall(r"\d+(?:\.\d+)?", text))
    return Solution("equation", setup, tuple(steps), (Answer(value, name=name),), numbers)


def solve_system(texts: list[str]) -> Solution:
    """Two linear equations in two unknowns, by substitution; raises :class:`SolverError`."""
    if len(texts) != 2 or any(t.count("=") != 1 for t in texts):
        raise SolverError("two equations needed")
    nodes = [tuple(parse(side) for side in t.split("=")) for t in texts]
    exprs = [to_sympy(lhs) - to_sympy(rhs) for lhs, rhs in nodes]
    names = sorted(set().union(*(variables(n) for pair in nodes for n in pair)))
    if len(names) != 2:
        raise SolverError("two unknowns needed")
    x, y = (sympy.Symbol(n) for n in names)
    for e in exprs:
        if sympy.Poly(sympy.expand(e), x, y).total_degree() != 1:
            raise SolverError("not linear")
    solution = sympy.solve(exprs, [x, y], dict=True)
    if len(solution) != 1 or len(solution[0]) != 2:
        raise SolverError("no unique solution")
    vx, vy = solution[0][x], solution[0][y]
    # express x from the equation where it is simplest, substitute into the other
    first = 0 if exprs[0].coeff(x) != 0 else 1
    second = 1 - first
    x_of_y = sympy.solve(exprs[first], x)[0]
    eq_y = sympy.expand(exprs[second].subs(x, x_of_y))
    steps = (
        Step(EXPRESS, {"i": first + 1, "eq": f"{x} = {_show(x_of_y)}"}, None),
        Step(SUBSTITUTE, {"i": second + 1, "eq": f"{_show(eq_y + vy * 0)} = 0"}, None),
        Step(SOLVE_FOR, {"eq": f"{y} = {fmt(vy)}"}, vy),
        Step(BACK, {"v": str(y), "r": vy, "eq": f"{x} = {fmt(vx)}"}, vx),
    )
    setup = ", ".join(f"{show(lhs)} = {show(rhs)}" for lhs, rhs in nodes)
    numbers = tuple(sympy.Rational(n) for t in texts for n in re.findall(r"\d+(?:\.\d+)?", t))
    return Solution("system", setup, steps, (Answer(vx, name=str(x)), Answer(vy, name=str(y))),
                    numbers)


def equation_spans(text: str) -> list[str]:
    """The equations written in ``text`` (``solve 2x+3=11`` → ``["2x+3=11"]``)."""
    out = []
    for chunk in re.split(r"[,;，；、?？!！。]|\.(?:\s|$)|\band\b|和|与|以及|\n", text):
        if "=" not in chunk:
            continue
        spans = [m.group(0) for m in _EQUATION_CHARS.finditer(chunk) if "=" in m.group(0)]
        for span in spans:
            # drop English words glued to the equation ("solve 2x+3=11 for x")
            words = re.sub(r"\b[a-z]{2,}\b", "  ", span)
            # where a word was cut out, only the part holding "=" is the equation
            part = next(p for p in re.split(r"\s{3,}", words) if "=" in p)
            if re.search(r"[a-z]", part) and re.search(r"\d", part):
                out.append(part.strip())
    return out
