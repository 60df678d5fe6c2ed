"""Tutor: exact worked steps from the solver; the model only explains, and is checked.

A computable question (arithmetic, percentages, fractions, powers and roots, unit conversions,
linear equations and 2×2 systems, simple word problems — English or Chinese) is solved by
:mod:`botcore.tutoring.solver` and its steps are rendered by code in the user's language. The
model may add a short explanation before them; every number in it is checked against the
solver's values and the explanation is dropped when one is not verified. Other questions go to
the model; when the question asks for a number and the model's reply holds one the question did
not give, the reply is replaced by an honest "let's set it up together". Homework mode
(``/hint on``) gives the first step only.
"""

from __future__ import annotations

import logging

from botcore.dialogue.context import SkillReply, TurnContext
from botcore.dialogue.prompt import build_messages
from botcore.i18n import language_of
from botcore.inference.payloads import ChatTurn
from botcore.skills.prompts import no_free_text, persona, tutor_prompt
from botcore.tutoring.solver import solve
from botcore.tutoring.solver_reply import (
    EXPLAIN_PROMPT,
    check_numbers,
    looks_computational,
    not_sure,
    render_hint,
    render_steps,
    trim_explanation,
)
from botcore.tutoring.solver_types import Solution

log = logging.getLogger(__name__)


def _lang(ctx: TurnContext) -> str:
    return language_of(ctx.message)


async def _explanation(ctx: TurnContext, solution: Solution, lang: str) -> str:
    """The model's short explanation, or "" when it is empty or states an unverified number."""
    if not ctx.settings.generator_model:
        # The bundled 135M generator's "explanations" carry no numbers but are often wrong in
        # substance ("backwards division"; bench/README.md): code-rendered steps only.
        return ""
    system = f"{persona(ctx.settings)} You are a patient tutor. {EXPLAIN_PROMPT.render(lang)}"
    messages = [ChatTurn(role="system", content=system), ChatTurn(role="user", content=ctx.text)]
    text = trim_explanation(await ctx.generate(messages, temperature=0.3, max_new_tokens=60,
                                               live=False))
    check = check_numbers(text, ctx.text, solution)
    if not check.ok:
        log.info("tutor: model explanation dropped, unverified numbers %s", check.unverified)
        return ""
    return text


async def respond(ctx: TurnContext) -> SkillReply:
    """Exact steps (or the first step in homework mode); the model's text only when verified."""
    lang = _lang(ctx)
    hint_mode = ctx.state.get("hint_mode") == "1"
    solution = solve(ctx.text)
    if solution is not None:
        meta = {"solver": solution.kind, "answer": [str(a.value) for a in solution.answers]}
        if hint_mode:
            return SkillReply(render_hint(solution, lang), skill="tutor", meta=meta | {"hint": True})
        steps = render_steps(solution, lang)
        explanation = await _explanation(ctx, solution, lang)
        text = f"{explanation}\n\n{steps}" if explanation else steps
        return SkillReply(text, skill="tutor", meta=meta | {"explained": bool(explanation)})
    computational = looks_computational(ctx.text)
    fixed = no_free_text(ctx.settings, lang)
    if fixed is not None:  # the generator cannot write the user's language
        return SkillReply(not_sure(ctx.text, lang) if computational else fixed, skill="tutor",
                          meta={"solver": None, "no_free_text": True})
    system = tutor_prompt(ctx.settings, hint_mode, lang)
    messages = build_messages(system, ctx.history, ctx.text, facts=ctx.facts,
                              summary=ctx.summary)
    text = await ctx.generate(messages, temperature=0.3, max_new_tokens=128,
                              live=not computational)
    if computational:
        check = check_numbers(text, ctx.text, None)
        if not check.ok:
            log.info("tutor: model reply replaced, unverified numbers %s", check.unverified)
            return SkillReply(not_sure(ctx.text, lang), skill="tutor",
                              meta={"solver": None, "replaced": True})
    return SkillReply(text, skill="tutor")
