"""Tutor: step-by-step explanations; hints instead of answers in homework mode.

Arithmetic is never left to the model: a plain expression ("what is 17*23?") is computed exactly
with sympy and the result is stated first.
"""

from __future__ import annotations

import re

from botcore.dialogue.context import SkillReply, TurnContext
from botcore.dialogue.prompt import build_messages
from botcore.i18n import Text, language_of
from botcore.skills.prompts import tutor_prompt

_EXPR = re.compile(r"([-+*/^().\d\s]{3,})")


def exact_arithmetic(text: str) -> str | None:
    """Evaluate the arithmetic expression in ``text`` exactly, or None if there is none."""
    import sympy

    for candidate in sorted(_EXPR.findall(text.replace("×", "*").replace("÷", "/")), key=len,
                            reverse=True):
        expr = candidate.strip().replace("^", "**")
        if not re.search(r"\d\s*[-+*/]", expr) and "**" not in expr:
            continue
        try:
            value = sympy.sympify(expr, evaluate=True)
        except (sympy.SympifyError, SyntaxError, TypeError, ZeroDivisionError):
            continue
        if value.is_number and value.is_finite:
            result = value if value.is_Integer or value.is_Rational else sympy.N(value, 8)
            return f"{candidate.strip()} = {result}"
    return None


_PRODUCT = re.compile(r"^\s*(\d{1,6})\s*[*x×]\s*(\d{1,6})\s*$")
MULTIPLICATION_STEPS = Text(
    "1. Split {b} into {tens} + {ones}.\n2. {a} × {tens} = {at}\n3. {a} × {ones} = {ao}\n"
    "4. Add them: {at} + {ao} = {ab}\n\nSo {a} × {b} = {ab}.",
    "1. 把 {b} 拆成 {tens} + {ones}。\n2. {a} × {tens} = {at}\n3. {a} × {ones} = {ao}\n"
    "4. 相加：{at} + {ao} = {ab}\n\n所以 {a} × {b} = {ab}。",
)


def multiplication_steps(expression: str, lang: str | None = None) -> str | None:
    """Exact steps for ``a * b`` by splitting ``b`` into tens and ones (None for other forms)."""
    m = _PRODUCT.match(expression)
    if not m:
        return None
    a, b = int(m.group(1)), int(m.group(2))
    tens, ones = b - b % 10, b % 10
    if not tens or not ones:
        return None
    return MULTIPLICATION_STEPS.render(lang, a=a, b=b, tens=tens, ones=ones, at=a * tens,
                                       ao=a * ones, ab=a * b)


async def respond(ctx: TurnContext) -> SkillReply:
    """Explain (or hint, in homework mode) with exact arithmetic where it applies."""
    hint_mode = ctx.state.get("hint_mode") == "1"
    exact = None if hint_mode else exact_arithmetic(ctx.text)
    steps = multiplication_steps(exact.split(" = ")[0], language_of(ctx.message)) if exact else None
    if steps:  # exact, checkable steps beat a small model's arithmetic
        return SkillReply(steps, skill="tutor", meta={"exact": exact})
    system = tutor_prompt(ctx.settings, hint_mode)
    if exact:
        system += f" The exact result is {exact}."
    messages = build_messages(system, ctx.history, ctx.text, facts=ctx.facts,
                              summary=ctx.summary)
    text = await ctx.generate(messages, temperature=0.3, max_new_tokens=128)
    if exact and exact.split("= ")[-1] not in text:
        text = f"{exact}\n\n{text}"
    return SkillReply(text, skill="tutor", meta={"exact": exact} if exact else {})
