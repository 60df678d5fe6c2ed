"""Extracting long-term facts from what users say ("I'm Ana", "I have a dog named Max", "我叫小明",
"我养了一只猫叫咪咪").

Rules, not the generator: a 135M model invents facts, and a wrong memory is worse than none.
Facts are stored as text in the language the user spoke, from the templates in
:mod:`botcore.memory.fact_forms`, so :mod:`botcore.memory.answers` can read names back out verbatim.
"""

from __future__ import annotations

import re

from botcore.memory.fact_forms import (
    FACT_EVENT,
    FACT_HOME,
    FACT_JOB,
    FACT_LIKE,
    FACT_NAME,
    FACT_PET,
    FACT_PET_NAMED,
    ExtractedFact,
)
from botcore.memory.facts_zh import extract_facts_zh
from botcore.safety import is_injection
from botcore.sentences import has_cjk

_NAME = re.compile(
    r"\b(?:my name is|i am|i'm|im|call me)\s+([A-Z][a-zA-Z0-9\-']{1,30})\b(?![a-z])", re.IGNORECASE
)
_NOT_NAMES = {
    "a", "an", "the", "not", "so", "very", "really", "just", "feeling", "fine", "good", "ok",
    "okay", "sad", "happy", "tired", "here", "back", "going", "trying", "sorry", "sure", "glad",
    "lonely", "bored", "sick", "new", "learning", "working", "looking", "stuck", "done", "in",
    "at", "from", "on", "still", "also", "too", "well", "great", "angry", "scared", "worried",
}
_PET = re.compile(
    r"\bi (?:also |now |still )?(?:have|got|own|adopted) (?:a|an|two|three)?\s*(dog|cat|puppy|kitten|"
    r"hamster|parrot|rabbit|fish|bird|turtle)"
    r"(?:\s+(?:named|called)\s+([A-Z][a-zA-Z0-9\-']{1,30}))?", re.IGNORECASE)
_MY_PET = re.compile(
    r"\bmy (dog|cat|puppy|kitten|hamster|parrot|rabbit|fish|bird|turtle)(?:'s name)? "
    r"(?:is called|is named|is|name is|called)\s+([A-Z][a-zA-Z0-9\-']{1,30})\b", re.IGNORECASE)
_LIKE = re.compile(r"\bi (?:really )?(?:like|love|enjoy) ([^.!?,;。！？，；]{3,60})", re.IGNORECASE)
_HOME = re.compile(r"\bi live in ([A-Za-z][\w' -]{1,40}?)(?=[.!?,;。！？，；]|$| and\b| with\b)",
                   re.IGNORECASE)
_EVENT = re.compile(
    r"\bi (?:have|'ve got|got) (?:an? |my )?(exam|test|interview|appointment|birthday|date|"
    r"meeting|trip)\b([^.!?。！？]{0,40})", re.IGNORECASE)
_WORK = re.compile(r"\bi (?:work as|am an?|'m an?) (teacher|nurse|student|developer|engineer|"
                   r"doctor|designer|programmer|artist|writer|chef)\b", re.IGNORECASE)


def extract_facts(text: str) -> list[ExtractedFact]:
    """Facts stated by the user in ``text`` (may be empty), English or Chinese."""
    out: list[ExtractedFact] = []
    m = _NAME.search(text)
    if m and m.group(1).lower() not in _NOT_NAMES:
        name = m.group(1)[0].upper() + m.group(1)[1:]
        out.append(ExtractedFact(FACT_NAME.render("en", name=name), name=name))
    pets = [(m.group(1).lower(), m.group(2)) for m in _PET.finditer(text)]
    pets += [(m.group(1).lower(), m.group(2)) for m in _MY_PET.finditer(text)]
    for pet, pet_name in pets:
        out.append(ExtractedFact(FACT_PET_NAMED.render("en", pet=pet, name=pet_name) if pet_name
                                 else FACT_PET.render("en", pet=pet)))
    m = _WORK.search(text)
    if m:
        out.append(ExtractedFact(FACT_JOB.render("en", job=m.group(1).lower())))
    for m in _LIKE.finditer(text):
        thing = m.group(1).strip()
        if not re.match(r"(to )?(talk|know|ask|say|you)\b", thing, re.IGNORECASE):
            out.append(ExtractedFact(FACT_LIKE.render("en", thing=thing)))
    m = _HOME.search(text)
    if m:
        out.append(ExtractedFact(FACT_HOME.render("en", place=m.group(1).strip())))
    m = _EVENT.search(text)
    if m:
        out.append(ExtractedFact(FACT_EVENT.render(
            "en", event=f"{m.group(1).lower()}{m.group(2).rstrip()}")))
    if has_cjk(text):
        out += extract_facts_zh(text)
    # A fact is recalled into every later prompt: one that reads as an instruction is dropped.
    return [f for f in out if not is_injection(f.text) and not (f.name and is_injection(f.name))]
