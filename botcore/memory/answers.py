"""Questions about what the user told us, answered from the stored facts, word for word.

"我的猫叫什么名字？" or "What is my parrot called?" is answered deterministically from the fact
("They have a parrot named Zorblax2198."), never through the generator, which misspells names;
the answer is in the language of the question, whichever language the fact was stored in.
:func:`keep_names_verbatim` puts a stored name back where a generated reply misspelled it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from botcore.i18n import Text, normalize_lang
from botcore.memory.fact_forms import FACT_FORMS

SPECIES = {
    "cat": ("cat", "kitten", "猫", "小猫", "猫咪"),
    "dog": ("dog", "puppy", "狗", "小狗", "狗狗"),
    "hamster": ("hamster", "仓鼠"),
    "parrot": ("parrot", "鹦鹉"),
    "rabbit": ("rabbit", "bunny", "兔子", "小兔"),
    "fish": ("fish", "goldfish", "鱼", "金鱼"),
    "bird": ("bird", "小鸟", "鸟"),
    "turtle": ("turtle", "tortoise", "乌龟"),
    "pet": ("pet", "宠物"),
}
"""Pet words by species, English first: a cat stored in Chinese answers "What's my cat called?"."""
_SPECIES_OF = {word: key for key, words in SPECIES.items() for word in words}
_ZH_WORD = {key: next(w for w in words if re.match(r"[\u4e00-\u9fff]", w))
            for key, words in SPECIES.items()}

YOUR_NAME = Text("Your name is {name}.", "你叫{name}。")
NO_NAME = Text("You haven't told me your name yet.", "你还没告诉我你的名字。")
YOUR_PET = Text("Your {pet} is called {name}.", "你的{pet}叫{name}。")
YOUR_PETS = Text("Your {pet}s are called {names}.", "你的{pet}分别叫{names}。")
PET_NO_NAME = Text("You told me you have a {pet}, but not its name.",
                   "你跟我说过你养了{pet}，但还没告诉我它叫什么名字。")
NO_PET = Text("You haven't told me about a {pet} yet.", "你还没跟我说过你的{pet}。")
YOUR_HOME = Text("You live in {place}.", "你住在{place}。")
NO_HOME = Text("You haven't told me where you live yet.", "你还没告诉我你住在哪里。")
YOUR_LIKES = Text("You like {things}.", "你喜欢{things}。")
NO_LIKES = Text("You haven't told me what you like yet.", "你还没告诉我你喜欢什么。")
AND = Text(" and ", "和")
LIST_SEP = Text(", ", "、")

_PET_WORDS = "|".join(sorted(_SPECIES_OF, key=len, reverse=True))
_END = r"(?:\s*(?:again|now|please|then))?[\s?？!！.。~～吗呢呀啊吧]*$"
"""A memory question must end the message: "what do I like and when is my exam?" asks more than
the facts can answer, so it goes to the generator (with the facts in its prompt)."""


def _question(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?:{pattern}){_END}", re.IGNORECASE)


_ASK_NAME = _question(
    r"\b(?:what(?:'s| is| was) my name|what am i called|do you (?:know|remember) my name|who am i)"
    r"|我叫(?:什么|啥)(?:名字)?|我的名字(?:是|叫)?(?:什么|啥)|(?:记得|知道)我(?:的名字|叫什么(?:名字)?)"
    r"|我是谁")
_ASK_PET_EN = _question(
    rf"\b(?:what(?:'s| is| was)|do you (?:know|remember)|tell me)\s+(?:the name of\s+)?my\s+"
    rf"(?P<pet>{_PET_WORDS})(?:'s name|\s+(?:called|named)|\s+name)?"
    rf"|\bwhat did i (?:call|name) my\s+(?P<pet2>{_PET_WORDS})")
_ASK_PET_ZH = _question(
    rf"我(?:的|家的|家|养的)?\s*(?P<pet>{_PET_WORDS})\s*(?:的名字|名字)?\s*(?:叫|是|叫做)?\s*"
    rf"(?:什么名字|什么|啥名字|啥)|(?:记得|知道)我的?(?P<pet2>{_PET_WORDS})"
    r"(?:的名字|叫什么(?:名字)?)")
_ASK_HOME = _question(r"\bwhere do i live|\bwhere am i from|我住(?:在)?(?:哪里|哪儿|哪|什么地方)"
                      r"|我家在(?:哪里|哪儿|哪)")
_ASK_LIKES = _question(r"\bwhat do i (?:like|love|enjoy)(?: doing)?|我喜欢(?:什么|啥|做什么)")


@dataclass(frozen=True, slots=True)
class ParsedFact:
    """A stored fact read back: its kind (a key of ``FACT_FORMS``) and its values."""

    kind: str
    values: dict[str, str]


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
    return re.compile(regex + r"\Z", re.DOTALL)


_PATTERNS = [(kind, _pattern(t)) for kind, text in FACT_FORMS.items() for t in (text.en, text.zh)]


def parse_fact(text: str) -> ParsedFact | None:
    """Read a stored fact's values back (None for a fact in no known wording)."""
    for kind, pattern in _PATTERNS:
        m = pattern.match(text.strip())
        if m:
            return ParsedFact(kind, m.groupdict())
    return None


def _species(word: str) -> str:
    return _SPECIES_OF.get(word.lower(), word.lower())


def _pet_word(species: str, asked: str, lang: str) -> str:
    """The pet as the user asked for it, in the answer's language."""
    if lang == "zh":
        return asked if re.match(r"[\u4e00-\u9fff]", asked) else _ZH_WORD.get(species, asked)
    return asked.lower() if asked.isascii() else species


def _join(items: list[str], lang: str) -> str:
    if len(items) == 1:
        return items[0]
    return LIST_SEP.render(lang).join(items[:-1]) + AND.render(lang) + items[-1]


def answer_from_memory(text: str, lang: str | None, facts: Sequence[str]) -> str | None:
    """The answer to a question about the user's own name, pets, home or likes, from ``facts``
    (stored fact texts), in ``lang``; None when ``text`` asks no such question."""
    lang = normalize_lang(lang)
    parsed = [p for p in map(parse_fact, facts) if p is not None]
    m = _ASK_PET_EN.search(text) or _ASK_PET_ZH.search(text)
    if m:
        asked = m.group("pet") or m.group("pet2")
        species = _species(asked)
        pets = [p for p in parsed if p.kind in {"pet", "pet_named"}
                and (species == "pet" or _species(p.values["pet"]) == species)]
        names = list(dict.fromkeys(p.values["name"] for p in pets if "name" in p.values))
        word = _pet_word(species, asked, lang)
        if len(names) == 1:
            return YOUR_PET.render(lang, pet=word, name=names[0])
        if names:
            return YOUR_PETS.render(lang, pet=word, names=_join(names, lang))
        if pets:
            return PET_NO_NAME.render(lang, pet=word)
        return NO_PET.render(lang, pet=word)
    if _ASK_NAME.search(text):
        names = [p.values["name"] for p in parsed if p.kind == "name"]
        return YOUR_NAME.render(lang, name=names[-1]) if names else NO_NAME.render(lang)
    if _ASK_HOME.search(text):
        places = [p.values["place"] for p in parsed if p.kind == "home"]
        return YOUR_HOME.render(lang, place=places[-1]) if places else NO_HOME.render(lang)
    if _ASK_LIKES.search(text):
        things = list(dict.fromkeys(p.values["thing"] for p in parsed if p.kind == "like"))
        return YOUR_LIKES.render(lang, things=_join(things, lang)) if things else NO_LIKES.render(lang)
    return None


def stored_names(facts: Sequence[str]) -> list[str]:
    """Every name in ``facts`` (the user's and their pets')."""
    return [p.values["name"] for p in map(parse_fact, facts) if p is not None and "name" in p.values]


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-']*")


def _distance(a: str, b: str, cap: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``cap + 1`` once it exceeds ``cap``."""
    if abs(len(a) - len(b)) > cap:
        return cap + 1
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
        if min(row) > cap:
            return cap + 1
    return row[-1]


def keep_names_verbatim(reply: str, names: Sequence[str]) -> str:
    """``reply`` with near-misses of stored Latin names ("Zorblox2198" for "Zorblax2198") put back
    as stored. Only capitalized or digit-bearing words of five or more characters, one edit away
    (two for names of nine or more), are touched, so ordinary words stay as they are."""
    latin = [n for n in names if len(n) >= 5 and _TOKEN.fullmatch(n)]
    if not latin:
        return reply

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if len(word) < 5 or not (word[0].isupper() or any(c.isdigit() for c in word)):
            return word
        for name in latin:
            cap = 2 if len(name) >= 9 else 1
            if word != name and word[0].lower() == name[0].lower() and \
                    _distance(word.lower(), name.lower(), cap) <= cap:
                return name
        return word

    return _TOKEN.sub(fix, reply)
