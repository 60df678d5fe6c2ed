"""Extracting long-term facts from what users say ("I'm Ana", "I have a dog named Max").

Rules, not the generator: a 135M model invents facts, and a wrong memory is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ExtractedFact:
    """A fact in the third person, plus the user's name when the fact is a name."""

    text: str
    name: str | None = None


_NAME = re.compile(
    r"\b(?:my name is|i am|i'm|im|call me)\s+([A-Z][a-zA-Z\-']{1,30})\b(?![a-z])", re.IGNORECASE
)
_NOT_NAMES = {
    "a", "an", "the", "not", "so", "very", "really", "just", "feeling", "fine", "good", "ok",
    "okay", "sad", "happy", "tired", "here", "back", "going", "trying", "sorry", "sure", "glad",
    "lonely", "bored", "sick", "new", "learning", "working", "looking", "stuck", "done", "in",
    "at", "from", "on", "still", "also", "too", "well", "great", "angry", "scared", "worried",
}
_PET = re.compile(
    r"\bi (?:have|got|own) (?:a|an|two|three)?\s*(dog|cat|puppy|kitten|hamster|parrot|rabbit|fish)"
    r"(?:\s+(?:named|called)\s+([A-Z][a-zA-Z]{1,30}))?", re.IGNORECASE)
_LIKE = re.compile(r"\bi (?:really )?(?:like|love|enjoy) ([^.!?,;]{3,60})", re.IGNORECASE)
_EVENT = re.compile(
    r"\bi (?:have|'ve got|got) (?:an? |my )?(exam|test|interview|appointment|birthday|date|"
    r"meeting|trip)\b([^.!?]{0,40})", re.IGNORECASE)
_WORK = re.compile(r"\bi (?:work as|am an?|'m an?) (teacher|nurse|student|developer|engineer|"
                   r"doctor|designer|programmer|artist|writer|chef)\b", re.IGNORECASE)


def extract_facts(text: str) -> list[ExtractedFact]:
    """Facts stated by the user in ``text`` (may be empty)."""
    out: list[ExtractedFact] = []
    m = _NAME.search(text)
    if m and m.group(1).lower() not in _NOT_NAMES:
        name = m.group(1)[0].upper() + m.group(1)[1:]
        out.append(ExtractedFact(f"Their name is {name}.", name=name))
    for m in _PET.finditer(text):
        pet = m.group(1).lower()
        out.append(ExtractedFact(
            f"They have a {pet} named {m.group(2)}." if m.group(2) else f"They have a {pet}."))
    m = _WORK.search(text)
    if m:
        out.append(ExtractedFact(f"They are a {m.group(1).lower()}."))
    for m in _LIKE.finditer(text):
        thing = m.group(1).strip()
        if not re.match(r"(to )?(talk|know|ask|say|you)\b", thing, re.IGNORECASE):
            out.append(ExtractedFact(f"They like {thing}."))
    m = _EVENT.search(text)
    if m:
        out.append(ExtractedFact(f"They have an upcoming {m.group(1).lower()}"
                                 f"{m.group(2).rstrip()}."))
    return out
