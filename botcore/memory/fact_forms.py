"""How a long-term fact is worded when stored, in English and Chinese, and the extracted fact
itself: shared by the English rules (:mod:`botcore.memory.facts`), the Chinese rules
(:mod:`botcore.memory.facts_zh`) and the reader (:mod:`botcore.memory.answers`)."""

from __future__ import annotations

from dataclasses import dataclass

from botcore.i18n import Text


@dataclass(frozen=True, slots=True)
class ExtractedFact:
    """A fact in the third person, plus the user's name when the fact is a name."""

    text: str
    name: str | None = None


FACT_NAME = Text("Their name is {name}.", "用户的名字是{name}。")
FACT_PET_NAMED = Text("They have a {pet} named {name}.", "用户养了一只{pet}，名叫{name}。")
FACT_PET = Text("They have a {pet}.", "用户养了一只{pet}。")
FACT_JOB = Text("They are a {job}.", "用户是{job}。")
FACT_LIKE = Text("They like {thing}.", "用户喜欢{thing}。")
FACT_HOME = Text("They live in {place}.", "用户住在{place}。")
FACT_EVENT = Text("They have an upcoming {event}.", "用户即将有{event}。")
FACT_FORMS = {"name": FACT_NAME, "pet_named": FACT_PET_NAMED, "pet": FACT_PET, "job": FACT_JOB,
              "like": FACT_LIKE, "home": FACT_HOME, "event": FACT_EVENT}
"""How each kind of fact is worded when stored (most specific first, for parsing)."""
