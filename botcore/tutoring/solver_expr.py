"""Arithmetic expressions: a small parser and an exact evaluator that records its steps.

Precedence as at school: parentheses, then powers and roots, then × and ÷, then + and −, left to
right; ``2x`` and ``3(4+5)`` multiply. ``3/4`` written without spaces is a fraction, ``2 1/3`` a
mixed number, ``15%`` is 15/100. Values are exact sympy numbers; :func:`to_sympy` gives the same
tree to sympy (equations), :func:`evaluate` computes it with steps (arithmetic).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from botcore.i18n import Text
from botcore.tutoring.solver_numbers import exact
from botcore.tutoring.solver_types import SolverError, Step

MAX_EXPONENT = 200
MAX_DIGITS = 60
MAX_STEPS = 12

_TOKEN = re.compile(r"\s*(?:(?P<mixed>\d+\s+\d+/\d+(?![\d.]))|(?P<num>\d+(?:\.\d+)?(?:/\d+(?![.\d]))?)"
                    r"|(?P<func>sqrt|cbrt)|(?P<var>[a-z])|(?P<op>[-+*/^%()]))")


@dataclass(frozen=True, slots=True)
class Num:
    """A number as written (``text``) and its exact value."""

    value: sympy.Rational
    text: str
    fraction: bool = False


@dataclass(frozen=True, slots=True)
class Var:
    """A variable (one letter)."""

    name: str


@dataclass(frozen=True, slots=True)
class Bin:
    """A binary operation: ``+ - * / ^``."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Unary:
    """``-x``, ``x%``, ``sqrt(x)``, ``cbrt(x)``."""

    op: str
    arg: Node


Node = Num | Var | Bin | Unary


def tokenize(text: str) -> list[tuple[str, str]]:
    """``"2x+3"`` → ``[("num","2"), ("var","x"), ("op","+"), ("num","3")]``; raises on junk."""
    out: list[tuple[str, str]] = []
    pos, text = 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise SolverError(f"cannot read {text[pos:pos + 10]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise SolverError(f"expected {value or 'more'}")
        self.i += 1
        return tok

    def expr(self) -> Node:
        node = self.term()
        while (tok := self.peek()) and tok[1] in "+-" and tok[0] == "op":
            self.take()
            node = Bin(tok[1], node, self.term())
        return node

    def _starts_factor(self) -> bool:
        tok = self.peek()
        return tok is not None and (tok[0] in {"num", "mixed", "var", "func"} or tok[1] == "(")

    def term(self) -> Node:
        node = self.unary()
        while True:
            tok = self.peek()
            if tok and tok[0] == "op" and tok[1] in "*/":
                self.take()
                node = Bin(tok[1], node, self.unary())
            elif self._starts_factor():  # implicit multiplication: 2x, 3(4+5), (a)(b)
                node = Bin("*", node, self.power())
            else:
                return node

    def unary(self) -> Node:
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in "+-":
            self.take()
            arg = self.unary()
            return Unary("neg", arg) if tok[1] == "-" else arg
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        tok = self.peek()
        if tok and tok[1] == "^":
            self.take()
            return Bin("^", base, self.unary())
        return base

    def postfix(self) -> Node:
        node = self.atom()
        while (tok := self.peek()) and tok[1] == "%":
            self.take()
            node = Unary("%", node)
        return node

    def atom(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            return Num(exact(value), value, fraction="/" in value)
        if kind == "mixed":
            whole, frac = value.split()
            return Num(exact(whole) + exact(frac), f"{whole} {frac}", fraction=True)
        if kind == "var":
            return Var(value)
        if kind == "func":
            return Unary(value, self.atom() if self.peek() != ("op", "(") else self._group())
        if value == "(":
            self.i -= 1
            return self._group()
        raise SolverError(f"unexpected {value!r}")

    def _group(self) -> Node:
        self.take("(")
        node = self.expr()
        self.take(")")
        return node


def parse(text: str) -> Node:
    """Parse an expression (see the module docstring); raises :class:`SolverError`."""
    tokens = tokenize(text)
    if not tokens:
        raise SolverError("empty expression")
    parser = _Parser(tokens)
    node = parser.expr()
    if parser.peek() is not None:
        raise SolverError(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return node


def has_operation(node: Node) -> bool:
    """True when there is something to compute (not a bare number)."""
    if isinstance(node, Unary) and node.op == "%" and isinstance(node.arg, Num):
        return False  # "25%" alone is a quantity, not a sum to work out
    return not isinstance(node, Num | Var) or (isinstance(node, Num) and "/" in node.text)


def variables(node: Node) -> set[str]:
    """The variable names in the tree."""
    if isinstance(node, Var):
        return {node.name}
    if isinstance(node, Bin):
        return variables(node.left) | variables(node.right)
    if isinstance(node, Unary):
        return variables(node.arg)
    return set()


def to_sympy(node: Node) -> sympy.Expr:
    """The tree as a sympy expression (variables become symbols)."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Var):
        return sympy.Symbol(node.name)
    if isinstance(node, Unary):
        arg = to_sympy(node.arg)
        return {"neg": -arg, "%": arg / 100, "sqrt": sympy.sqrt(arg),
                "cbrt": sympy.root(arg, 3) if arg.is_number and arg >= 0 else sympy.real_root(
                    arg, 3)}[node.op]
    left, right = to_sympy(node.left), to_sympy(node.right)
    if node.op == "/" and right == 0:
        raise SolverError("division by zero")
    return {"+": left + right, "-": left - right, "*": left * right, "/": left / right,
            "^": left ** right}[node.op]


OP = Text("{a} {op} {b} = {r}", "{a} {op} {b} = {r}")
MIXED = Text("Write {m} as an improper fraction: {r}", "把带分数 {m} 化成假分数：{r}")
COMMON = Text("Use the common denominator {d}: {a2} {op} {b2} = {r}",
              "通分，公分母是 {d}：{a2} {op} {b2} = {r}")
FRAC_TIMES = Text("Multiply the numerators and the denominators: {a} × {b} = {n}/{q} = {r}",
                  "分子乘分子，分母乘分母：{a} × {b} = {n}/{q} = {r}")
FRAC_DIVIDE = Text("Dividing is multiplying by the reciprocal: {a} ÷ {b} = {a} × {inv} = {r}",
                   "除以一个数等于乘它的倒数：{a} ÷ {b} = {a} × {inv} = {r}")
PERCENT = Text("{p}% = {p}/100 = {r}", "{p}% = {p}/100 = {r}")
SQRT = Text("√{a} = {r}", "√{a} = {r}")
CBRT = Text("∛{a} = {r}", "∛{a} = {r}")
POWER = Text("{a}^{b} = {r}", "{a}^{b} = {r}")
NEGATE = Text("-({a}) = {r}", "-({a}) = {r}")
_SHOWN = {"+": "+", "-": "-", "*": "×", "/": "÷"}


def _check_size(value: sympy.Expr) -> sympy.Expr:
    if value.is_Rational and max(len(str(abs(value.p))), len(str(value.q))) > MAX_DIGITS:
        raise SolverError("numbers too large")
    return value


def _frac(value: sympy.Expr) -> bool:
    return isinstance(value, sympy.Rational) and not isinstance(value, sympy.Integer)


class Evaluator:
    """Computes a tree exactly, recording one :class:`Step` per operation."""

    def __init__(self, *, decimal: bool) -> None:
        self.decimal = decimal
        self.steps: list[Step] = []

    def run(self, node: Node) -> sympy.Expr:
        """The exact value of ``node`` (steps in :attr:`steps`); raises :class:`SolverError`."""
        if variables(node):
            raise SolverError("an expression with variables is not arithmetic")
        if isinstance(node, Num) and node.fraction and "/" in node.text and " " not in node.text:
            a, b = node.text.split("/")  # "12/4" alone: a division to show
            node = Bin("/", Num(exact(a), a), Num(exact(b), b))
        value = self._eval(node)
        if len(self.steps) > MAX_STEPS:
            self.steps = self.steps[-MAX_STEPS:]
        return value

    def _eval(self, node: Node) -> sympy.Expr:
        if isinstance(node, Num):
            if " " in node.text:
                self.steps.append(Step(MIXED, {"m": node.text, "r": node.value}, node.value))
            return node.value
        if isinstance(node, Unary):
            return self._unary(node.op, self._eval(node.arg))
        if not isinstance(node, Bin):
            raise SolverError("an expression with variables is not arithmetic")
        a, b = self._eval(node.left), self._eval(node.right)
        return self._binary(node.op, a, b)

    def _unary(self, op: str, a: sympy.Expr) -> sympy.Expr:
        if op == "neg":
            return -a
        if op == "%":
            r = _check_size(a / 100)
            self.steps.append(Step(PERCENT, {"p": a, "r": r}, r))
            return r
        if a.is_negative:
            if op == "sqrt":
                raise SolverError("square root of a negative number")
            r = -sympy.root(-a, 3)
        else:
            r = sympy.sqrt(a) if op == "sqrt" else sympy.root(a, 3)
        r = sympy.nsimplify(r) if r.is_Rational else r
        self.steps.append(Step(SQRT if op == "sqrt" else CBRT, {"a": a, "r": r}, r))
        return r

    def _binary(self, op: str, a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
        if op == "^":
            if not b.is_Rational or abs(b) > MAX_EXPONENT or (a == 0 and b < 0):
                raise SolverError("exponent out of range")
            r = _check_size(a ** b)
            self.steps.append(Step(POWER, {"a": a, "b": b, "r": r}, r))
            return r
        if op == "/" and b == 0:
            raise SolverError("division by zero")
        r = _check_size({"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op])
        fractions = not self.decimal and a.is_Rational and b.is_Rational and (_frac(a) or _frac(b))
        if fractions and op in "+-" and a.q != b.q:
            d = sympy.ilcm(a.q, b.q)
            a2, b2 = f"{a.p * (d // a.q)}/{d}", f"{b.p * (d // b.q)}/{d}"
            self.steps.append(Step(COMMON, {"d": d, "a2": a2, "b2": b2, "op": op, "r": r}, r))
        elif fractions and op == "*" and _frac(a) and _frac(b):
            self.steps.append(Step(FRAC_TIMES, {"a": a, "b": b, "n": a.p * b.p, "q": a.q * b.q,
                                                "r": r}, r))
        elif fractions and op == "/" and b != 0 and _frac(b):
            self.steps.append(Step(FRAC_DIVIDE, {"a": a, "b": b, "inv": f"{b.q}/{b.p}", "r": r},
                                   r))
        else:
            self.steps.append(Step(OP, {"a": a, "op": _SHOWN[op], "b": b, "r": r}, r))
        return r


def show(node: Node) -> str:
    """The expression written back (``15% × 240``, ``(3 + 4)^2``) for the setup line."""
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Var):
        return node.name
    if isinstance(node, Unary):
        inner = show(node.arg)
        wrapped = inner if isinstance(node.arg, Num | Var) else f"({inner})"
        return {"neg": f"-{wrapped}", "%": f"{wrapped}%", "sqrt": f"√{wrapped}",
                "cbrt": f"∛{wrapped}"}[node.op]
    left, right = show(node.left), show(node.right)
    if node.op == "^":
        left = left if isinstance(node.left, Num | Var) else f"({left})"
        right = right if isinstance(node.right, Num | Var) else f"({right})"
        return f"{left}^{right}"
    if node.op in "*/" and isinstance(node.right, Bin) and node.right.op in "+-*/":
        right = f"({right})"
    if node.op in "*/" and isinstance(node.left, Bin) and node.left.op in "+-":
        left = f"({left})"
    if node.op == "-" and isinstance(node.right, Bin) and node.right.op in "+-":
        right = f"({right})"
    if node.op == "*" and isinstance(node.left, Num) and isinstance(node.right, Var):
        return f"{left}{right}"
    return f"{left} {_SHOWN[node.op]} {right}"
