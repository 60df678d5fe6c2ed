"""The exact solver the tutor trusts over the model.

:func:`solve` reads a question in English or Chinese and returns a :class:`Solution` (exact values
and worked steps, rendered later by code in the user's language) or None when it holds nothing
the solver can compute. In order it tries: linear equations and 2×2 systems, unit conversions,
percentages, simple word problems, and finally arithmetic (fractions, decimals, mixed numbers,
powers and roots with school precedence).
"""

from __future__ import annotations

import re
import unicodedata

import sympy

from botcore.i18n import Text
from botcore.tutoring.solver_equations import equation_spans, solve_linear, solve_system
from botcore.tutoring.solver_expr import (
    OP,
    PERCENT,
    Bin,
    Evaluator,
    Num,
    has_operation,
    parse,
    show,
)
from botcore.tutoring.solver_numbers import exact, fmt, normalize_chinese_numbers
from botcore.tutoring.solver_types import Answer, Solution, SolverError, Step
from botcore.tutoring.solver_units import solve_units
from botcore.tutoring.solver_words import solve_word

MAX_INPUT = 500

PCT_OF = Text("{p}% of {x} = {f} × {x} = {r}", "{x} 的 {p}% = {f} × {x} = {r}")
TO_PERCENT = Text("As a percentage: {q} × 100% = {r}%", "化成百分数：{q} × 100% = {r}%")
CHANGE = Text("The change: {b} - {a} = {r}", "变化量：{b} - {a} = {r}")
DISCOUNT = Text("{n}折 means {f} of the price", "打 {n} 折就是原价的 {f}")
PERCENT_SIGN = Text("%", "%")
SPLIT = Text("Split {b} into {t} + {o}", "把 {b} 拆成 {t} + {o}")
ADD_PARTS = Text("Add them: {x} + {y} = {r}", "把它们相加：{x} + {y} = {r}")

_N = r"(\d+(?:\.\d+)?)"
_Q = r"(\d+ \d+/\d+|\d+(?:\.\d+)?(?:/\d+)?)"  # a number, fraction or mixed number
_ASK_PCT = r"(?:百分之几|百分之多少|几%|多少%|百分比|百分数)"
_WORDS: tuple[tuple[str, str], ...] = (
    (r"(\d)\s*(?:percent|per cent)\b", r"\1%"), (r"square root of", " sqrt "),
    (r"cube root of", " cbrt "), (r"to the power of", "^"),
    (r"raised to(?: the power of)?", "^"), (r"\bsquared\b", "^2"), (r"\bcubed\b", "^3"),
    (r"\bplus\b", "+"), (r"\bminus\b", "-"), (r"\bmultiplied by\b", "*"),
    (r"(?<=[\d)])\s*\btimes\b\s*(?=[\d(]|sqrt|cbrt)", " * "),
    (r"to the (\d+)(?:st|nd|rd|th)? power", r"^\1"),
    (r"\bdivided by\b", "/"), (r"\bover\b(?=\s*\d)", "/"),
    (r"(\d+(?:\.\d+)?)\s*的平方根", r"sqrt \1"), (r"(\d+(?:\.\d+)?)\s*的立方根", r"cbrt \1"),
    (r"根号", " sqrt "),
    (r"的平方(?!根)", "^2"), (r"的立方(?!根)", "^3"), (r"的\s*(\d+)\s*次(?:方|幂)", r"^\1"),
    (r"加上|(?<![增追参附更])加(?![起入油班法])", "+"), (r"减去|减(?![少法])", "-"),
    (r"乘以|乘(?![法车客])", "*"), (r"除以", "/"),
    (r"(\d+)\s*又\s*\((\d+)/(\d+)\)", r"\1 \2/\3"), (r"(\d+)\s*又\s*(\d+/\d+)", r"\1 \2"),
)
_PHRASES: tuple[tuple[str, str], ...] = (
    (rf"(?:the )?sum of {_Q} and {_Q}", r"(\1 + \2)"),
    (rf"(?:the )?product of {_Q} and {_Q}", r"(\1 * \2)"),
    (rf"(?:the )?difference (?:between|of) {_Q} and {_Q}", r"(\1 - \2)"),
    (rf"(?:the )?quotient of {_Q} and {_Q}", r"(\1 / \2)"),
    (rf"\badd {_Q} (?:and|to) {_Q}", r"(\1 + \2)"),
    (rf"\bsubtract {_Q} from {_Q}", r"(\2 - \1)"),
    (rf"\bmultiply {_Q} (?:and|by) {_Q}", r"(\1 * \2)"),
    (rf"\bdivide {_Q} by {_Q}", r"(\1 / \2)"),
    (rf"\bhalf of {_Q}", r"(\1 / 2)"),
    (r"(\d+/\d+) of (\d+(?:\.\d+)?)", r"(\1 * \2)"),
    (r"(\d+(?:\.\d+)?)\s*的\s*\(?(\d+/\d+)\)?(?!\d|\s*%)", r"(\1 * \2)"),
)


def normalize(text: str) -> str:
    """One spelling for every way of writing a problem: NFKC, lower case, digits for Chinese
    numerals, ``× ÷ −`` as ``* / -``, and operator words (plus, 乘以 …) as symbols."""
    text = unicodedata.normalize("NFKC", text[:MAX_INPUT]).lower()
    text = normalize_chinese_numbers(text)
    for a, b in (("×", "*"), ("÷", "/"), ("−", "-"), ("–", "-"), ("²", "^2"), ("³", "^3"),
                 ("√", " sqrt "), ("∛", " cbrt "), ("**", "^"), ("·", "*")):
        text = text.replace(a, b)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,200 → 1200
    for pattern, repl in _PHRASES:
        text = re.sub(pattern, repl, text)
    for pattern, repl in _WORDS:
        text = re.sub(pattern, repl, text)
    if "=" not in text:  # "3 x 4" is a product unless there is an equation
        text = re.sub(r"(?<=\d)\s*x\s*(?=\d)", " * ", text)
    return text


def _percent_of(p: sympy.Rational, x: sympy.Rational) -> tuple[Step, Step, sympy.Expr]:
    f = p / 100
    r = f * x
    return (Step(PERCENT, {"p": p, "r": f}, f), Step(PCT_OF, {"p": p, "x": x, "f": f, "r": r}, r),
            r)


def solve_percent(text: str) -> Solution | None:
    """``x% of y``, ``what percent is a of b``, increase/decrease by x%, percent change, 打八折."""
    if m := re.search(rf"{_N}\s*%\s*(?:of|的)\s*{_N}|{_N}\s*的\s*{_N}\s*%", text):
        p, x = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        pv, xv = exact(p), exact(x)
        if m.group(1) and re.search(r"(?:increase|decrease|reduce|more|less|off|discount|增加|减少)",
                                    text):
            pass  # handled below as a change by a percentage
        else:
            s1, s2, r = _percent_of(pv, xv)
            return Solution("percent", f"{p}% × {x}", (s1, s2), (Answer(r),), (pv, xv), True)
    change = (
        re.search(rf"(increase|raise|decrease|reduce)\s+{_N}\s+by\s+{_N}\s*%", text),
        re.search(rf"{_N}\s+(?:is\s+)?(increased|raised|decreased|reduced)\s+by\s+{_N}\s*%", text),
        re.search(rf"{_N}\s*%\s+(more than|less than|off|discount on|off of)\s+{_N}", text),
        re.search(rf"{_N}\D{{0,4}}?(增加|增长|提高|上涨|涨|减少|降低|下降|降)了?\s*{_N}\s*%", text),
    )
    for i, m in enumerate(change):
        if m is None:
            continue
        if i == 0:
            verb, x, p = m.group(1), m.group(2), m.group(3)
        elif i == 2:
            p, verb, x = m.group(1), m.group(2), m.group(3)
        else:
            x, verb, p = m.group(1), m.group(2), m.group(3)
        up = verb.startswith(("inc", "rai", "more", "增", "提", "上", "涨"))
        pv, xv = exact(p), exact(x)
        s1, s2, part = _percent_of(pv, xv)
        r = xv + part if up else xv - part
        s3 = Step(OP, {"a": xv, "op": "+" if up else "-", "b": part, "r": r}, r)
        sign = "1 + " if up else "1 - "
        return Solution("percent", f"{x} × ({sign}{p}%)", (s1, s2, s3), (Answer(r),), (pv, xv),
                        True)
    if m := re.search(rf"{_N}[^\d折]{{0,8}}?打\s*{_N}\s*折", text):
        xv, n = exact(m.group(1)), exact(m.group(2))
        if 0 < n < 100:
            f = n / 10 if n < 10 else n / 100  # 八折 = 0.8, 七五折 = 0.75
            r = xv * f
            steps = (Step(DISCOUNT, {"n": n, "f": f}, f),
                     Step(OP, {"a": xv, "op": "×", "b": f, "r": r}, r))
            return Solution("percent", f"{m.group(1)} × {f}", steps, (Answer(r),), (xv, n), True)
    ratio = (re.search(rf"what\s+(?:percent(?:age)?|%)\s+(?:of\s+{_N}\s+is\s+{_N}|is\s+{_N}\s+of\s+"
                       rf"{_N})", text),
             re.search(rf"{_N}\s+is\s+what\s+(?:percent(?:age)?|%)\s+of\s+{_N}", text),
             re.search(rf"{_N}\s+(?:out\s+)?of\s+{_N}\s+(?:as\s+a|in)\s+percent(?:age)?", text),
             re.search(rf"{_N}\s*(?:是|占)\s*{_N}\s*的\s*{_ASK_PCT}", text))
    for i, m in enumerate(ratio):
        if m is None:
            continue
        if i == 0:
            a, b = (m.group(2), m.group(1)) if m.group(1) else (m.group(3), m.group(4))
        else:
            a, b = m.group(1), m.group(2)
        av, bv = exact(a), exact(b)
        if bv == 0:
            return None
        q = av / bv
        r = q * 100
        steps = (Step(OP, {"a": av, "op": "÷", "b": bv, "r": q}, q),
                 Step(TO_PERCENT, {"q": q, "r": r}, r))
        return Solution("percent", f"{a} ÷ {b} × 100%", steps, (Answer(r, unit=PERCENT_SIGN),),
                        (av, bv), True)
    m = (re.search(rf"percent(?:age)?\s+(?:change|increase|decrease)\s+from\s+{_N}\s+to\s+{_N}",
                   text)
         or re.search(rf"from\s+{_N}\s+to\s+{_N}.{{0,40}}?percent", text)
         or re.search(rf"从\s*{_N}\D{{0,6}}?(?:增加|增长|提高|上涨|涨|减少|降低|下降|降|变)(?:到|为|成)"
                      rf"\s*{_N}.{{0,12}}?{_ASK_PCT}", text))
    if m:
        av, bv = exact(m.group(1)), exact(m.group(2))
        if av == 0:
            return None
        d = bv - av
        q = d / av
        r = q * 100
        change_steps = (Step(CHANGE, {"a": av, "b": bv, "r": d}, d),
                        Step(OP, {"a": d, "op": "÷", "b": av, "r": q}, q),
                        Step(TO_PERCENT, {"q": q, "r": r}, r))
        return Solution("percent", f"({m.group(2)} - {m.group(1)}) ÷ {m.group(1)} × 100%",
                        change_steps,
                        (Answer(r, unit=PERCENT_SIGN),), (av, bv), True)
    return _percent_generic(text)


_UP = re.compile(r"\b(?:increas\w*|rais\w*|ris\w*|grow\w*|goes up|went up|more|markup|"
                 r"interest)\b|增加|增长|提高|上涨|涨价|涨了|多了")
_DOWN = re.compile(r"\b(?:decreas\w*|reduc\w*|fall\w*|fell|drop\w*|off|discount\w*|sale|"
                   r"cheaper|less)\b|减少|降低|降价|下降|便宜|优惠|打折")
_REVERSE = re.compile(r"original|before the|used to|at first|原价是多少|原价多少|原来是多少|原来多少"
                      r"|原价为多少|原来有多少")
_ASK_RATIO = re.compile(r"what (?:percent(?:age)?|%)|percentage|百分之几|百分之多少|百分比|百分率|率是多少")
_TO_PERCENT = re.compile(rf"{_Q}\s*(?:as a percent(?:age)?|to a percent(?:age)?|in percent|"
                         r"into a percent(?:age)?)|把?\s*(\d+(?:\.\d+)?(?:/\d+)?)\s*"
                         r"(?:化成|写成|改写成|转化为)百分数")


def _percent_generic(text: str) -> Solution | None:
    """One ``p%`` and one other number with a direction word (on sale for 25% off, 增加10%);
    a number written as a percentage; part of a whole as a percentage (24 out of 30)."""
    if m := _TO_PERCENT.search(text):
        raw = m.group(1) or m.group(2)
        value = sum((exact(part) for part in raw.split()), start=sympy.Integer(0))
        r = value * 100
        step = Step(TO_PERCENT, {"q": value, "r": r}, r)
        return Solution("percent", f"{raw} × 100%", (step,), (Answer(r, unit=PERCENT_SIGN),),
                        (value,), True)
    if _REVERSE.search(text):
        return None  # "what was the original price?" is a reverse percentage: not guessed
    percents = re.findall(rf"{_N}\s*%", text)
    others = [n for n in re.findall(r"\d+(?:\.\d+)?(?!\d|\.\d|\s*%)", text)]
    if len(percents) == 1 and len(others) == 1:
        up, down = bool(_UP.search(text)), bool(_DOWN.search(text))
        if up == down:
            return None
        pv, xv = exact(percents[0]), exact(others[0])
        s1, s2, part = _percent_of(pv, xv)
        r = xv + part if up else xv - part
        s3 = Step(OP, {"a": xv, "op": "+" if up else "-", "b": part, "r": r}, r)
        return Solution("percent", f"{others[0]} × (1 {'+' if up else '-'} {percents[0]}%)",
                        (s1, s2, s3), (Answer(r),), (pv, xv), True)
    if not percents and _ASK_RATIO.search(text):
        found = [exact(n) for n in re.findall(r"\d+(?:\.\d+)?", text)]
        if len(found) == 2 and min(found) > 0:
            part, whole = min(found), max(found)
            q = part / whole
            r = q * 100
            steps = (Step(OP, {"a": part, "op": "÷", "b": whole, "r": q}, q),
                     Step(TO_PERCENT, {"q": q, "r": r}, r))
            return Solution("percent", f"{fmt(part, decimal=True)} ÷ {fmt(whole, decimal=True)}"
                            " × 100%", steps, (Answer(r, unit=PERCENT_SIGN),), (part, whole),
                            True)
    return None


_SUBSTITUTE = re.compile(r"(?:\bwhen|\bif|\bwhere|\bfor|当|若|如果)\s*([a-z])\s*=\s*"
                         r"(-?\d+(?:\.\d+)?(?:/\d+)?)(?![\d.]|\s*[a-z(])")
_MATH_RUN = re.compile(r"(?:sqrt|cbrt|[0-9.+\-*/^()%\s])+")
_CUE = re.compile(r"what is|what's|calculate|compute|evaluate|simplify|work out|how much is|="
                  r"|多少|等于|计算|算一算|求|得")


def multiplication_steps(node: object) -> tuple[Step, ...] | None:
    """``17 × 23`` by parts: 23 = 20 + 3, 17 × 20 = 340, 17 × 3 = 51, 340 + 51 = 391."""
    if not (isinstance(node, Bin) and node.op == "*" and isinstance(node.left, Num)
            and isinstance(node.right, Num)):
        return None
    a, b = node.left.value, node.right.value
    if not (a.is_Integer and b.is_Integer and 0 < a < 10**6 and 10 < b < 10**6):
        return None
    tens, ones = b - b % 10, b % 10
    if not tens or not ones:
        return None
    return (Step(SPLIT, {"b": b, "t": tens, "o": ones}, None),
            Step(OP, {"a": a, "op": "×", "b": tens, "r": a * tens}, a * tens),
            Step(OP, {"a": a, "op": "×", "b": ones, "r": a * ones}, a * ones),
            Step(ADD_PARTS, {"x": a * tens, "y": a * ones, "r": a * b}, a * b))


def solve_arithmetic(text: str) -> Solution | None:
    """The longest computable expression in ``text``, evaluated exactly with steps."""
    spans = sorted((m.group(0).strip() for m in _MATH_RUN.finditer(text)), key=len, reverse=True)
    for span in spans:
        span = span.rstrip("=+-*/^. ").lstrip("+*/^. ")
        while span.count("(") > span.count(")") and span.startswith("("):
            span = span[1:].strip()
        while span.count(")") > span.count("(") and span.endswith(")"):
            span = span[:-1].strip()
        if not re.search(r"\d", span) or re.search(r"(?<![\d.])0\d", span):
            continue  # dates, phone numbers and codes are not sums
        if re.fullmatch(r"\d+(?:-\d+)+", span) and not _CUE.search(text):
            continue
        try:
            node = parse(span)
        except SolverError:
            continue
        if not has_operation(node):
            continue
        decimal = "." in span or "%" in span
        given = tuple(exact(n) for n in re.findall(r"\d+(?:\.\d+)?", span))
        if split := multiplication_steps(node):
            return Solution("arithmetic", show(node), split, (Answer(split[-1].result),),
                            given)  # type: ignore[arg-type]
        ev = Evaluator(decimal=decimal)
        try:
            value = ev.run(node)
        except (SolverError, ZeroDivisionError, ValueError, TypeError):
            return None
        return Solution("arithmetic", show(node), tuple(ev.steps), (Answer(value),), given,
                        decimal)
    return None


def solve(text: str) -> Solution | None:
    """Solve the problem in ``text`` exactly (see the module docstring), or None."""
    t = normalize(text)
    if not re.search(r"\d", t):
        return None
    if m := _SUBSTITUTE.search(t):  # "2x + 3 when x = 4": evaluate, do not solve
        rest = t[:m.start()] + " " + t[m.end():]
        t = re.sub(rf"(?<![a-z]){m.group(1)}(?![a-z])", f"({m.group(2)})", rest)
        try:
            return solve_arithmetic(t)
        except (SolverError, ValueError, TypeError, ZeroDivisionError):
            return None
    errors = (SolverError, ValueError, TypeError, ZeroDivisionError, sympy.SympifyError,
              sympy.PolynomialError, NotImplementedError)
    if "=" in t:
        spans = equation_spans(t)
        try:
            if len(spans) == 2:
                return solve_system(spans)
            if len(spans) == 1:
                return solve_linear(spans[0])
        except errors:
            return None
    for solver in (solve_units, solve_percent, solve_arithmetic, solve_word):
        try:
            found = solver(t)
        except errors:
            return None
        if found is not None:
            return found
    return None
