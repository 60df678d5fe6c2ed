"""Safety around every skill: the model's safety head plus rules, on input and on output."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

SELF_HARM_RULES = re.compile(
    r"\b(kill myself|killing myself|end my life|suicid\w*|self[- ]?harm\w*|hurt myself|"
    r"want to die|don'?t want to (live|be alive)|no reason to live|cut myself)\b",
    re.IGNORECASE,
)
INJECTION_RULES = re.compile(
    r"(ignore (all |any |your |the )?(previous |prior |above )?(instructions|rules|prompt)|"
    r"(reveal|show|print|repeat|tell me) (me )?(your|the) (system )?(prompt|instructions|secret)|"
    r"you are now (?!a student)|disregard (your|all) (rules|instructions)|developer mode|jailbreak)",
    re.IGNORECASE,
)
MINOR_SEXUAL_RULES = re.compile(
    r"\b(child|kid|minor|underage|teen|\d{1,2}[- ]?(yo|year[- ]old))\b.*\b(sex\w*|nude\w*|naked|porn\w*)\b"
    r"|\b(sex\w*|nude\w*|naked|porn\w*)\b.*\b(child|kid|minor|underage|teen)\b",
    re.IGNORECASE,
)


class Verdict(StrEnum):
    """What to do with a message."""

    OK = "ok"
    CRISIS = "crisis"
    ABUSE = "abuse"
    UNSAFE_SEXUAL = "unsafe_sexual"
    INJECTION = "injection"


@dataclass(frozen=True, slots=True)
class SafetyCheck:
    """The verdict and the evidence for it."""

    verdict: Verdict
    reason: str = ""


THRESHOLDS = {"self_harm": 0.5, "abuse": 0.5, "sexual": 0.6, "prompt_injection": 0.6}
"""The safety head is calibrated so 0.5 is its decision point (docs/model.md); sexual and
injection refusals ask for a little more certainty, since the rules catch the clear cases."""


def screen_input(text: str, head: Mapping[str, float]) -> SafetyCheck:
    """Combine rules (high precision) with the safety head (recall)."""
    if SELF_HARM_RULES.search(text) or head.get("self_harm", 0.0) >= THRESHOLDS["self_harm"]:
        return SafetyCheck(Verdict.CRISIS, "self-harm")
    if MINOR_SEXUAL_RULES.search(text):
        return SafetyCheck(Verdict.UNSAFE_SEXUAL, "sexual content involving minors")
    if head.get("sexual", 0.0) >= THRESHOLDS["sexual"]:
        return SafetyCheck(Verdict.UNSAFE_SEXUAL, "sexual content")
    if INJECTION_RULES.search(text) or head.get("prompt_injection", 0.0) >= THRESHOLDS["prompt_injection"]:
        return SafetyCheck(Verdict.INJECTION, "prompt injection")
    if head.get("abuse", 0.0) >= THRESHOLDS["abuse"]:
        return SafetyCheck(Verdict.ABUSE, "abusive language")
    return SafetyCheck(Verdict.OK)


def screen_output(reply: str, secrets: tuple[str, ...]) -> str:
    """Never let a reply carry a secret of the system prompt (canaries, private instructions)."""
    lowered = reply.lower()
    for secret in secrets:
        if secret and secret.lower() in lowered:
            return "Sorry, I can't share that."
    return reply


def crisis_reply(resources: str, name: str | None) -> str:
    """A careful answer for someone who may be in danger: warm, direct, with resources."""
    who = f", {name}" if name else ""
    return (
        f"I'm really glad you told me{who}. What you're feeling matters, and you don't have to "
        f"face it alone. {resources}\n\nIf you'd like, tell me a bit more about what's going on — "
        "I'm here to listen."
    )


ABUSE_REPLY = (
    "I want to keep this conversation respectful. I'm happy to keep helping if we can talk "
    "without insults."
)
ABUSE_STRIKES = 3
ABUSE_WINDOW_S = 600.0
ABUSE_PAUSE = ("I'm going to step back from this conversation for about {m} minutes. When you're "
               "ready to talk respectfully, I'll be glad to help.")
INJECTION_REPLY = ("I can't change or share my instructions, but I'm happy to help with something "
                   "else — what would you like to talk about?")
UNSAFE_SEXUAL_REPLY = "I can't help with that. Is there something else I can do for you?"
