"""Facts stated in Chinese, memory answers quoted verbatim, stored names kept in generated text."""

from __future__ import annotations

import pytest

from botcore.memory.answers import (
    answer_from_memory,
    keep_names_verbatim,
    parse_fact,
    stored_names,
)
from botcore.memory.facts import extract_facts
from botcore.memory.recall import rank_facts


@pytest.mark.parametrize(("text", "facts"), [
    ("你好，我叫小明，我养了一只猫叫咪咪。", ["用户的名字是小明。", "用户养了一只猫，名叫咪咪。"]),
    ("我是小红", ["用户的名字是小红。"]),
    ("我叫王小明我今年十岁", ["用户的名字是王小明。"]),
    ("我叫Ana。", ["用户的名字是Ana。"]),
    ("我的猫叫咪咪", ["用户养了一只猫，名叫咪咪。"]),
    ("我有一只狗，名叫旺财", ["用户养了一只狗，名叫旺财。"]),
    ("我的鹦鹉叫Zorblax2198。", ["用户养了一只鹦鹉，名叫Zorblax2198。"]),
    ("我的狗叫豆豆，我的猫叫咪咪", ["用户养了一只狗，名叫豆豆。", "用户养了一只猫，名叫咪咪。"]),
    ("我喜欢画画和唱歌。", ["用户喜欢画画和唱歌。"]),
    ("我住在上海。", ["用户住在上海。"]),
    ("我是一个程序员，我住在上海。", ["用户是程序员。", "用户住在上海。"]),
    ("我明天有考试", ["用户即将有明天的考试。"]),
    # questions and descriptions are not facts
    ("我的猫叫什么名字？", []),
    ("我叫什么名字？", []),
    ("我住在哪里？", []),
    ("我是中国人", []),
    ("我是说你好", []),
    ("我爱你", []),
    ("我不喜欢下雨", []),
])
def test_chinese_facts(text: str, facts: list[str]) -> None:
    assert [f.text for f in extract_facts(text)] == facts


def test_names_with_digits_and_more_english_forms() -> None:
    assert [f.text for f in extract_facts("I have a parrot named Zorblax2198.")] == [
        "They have a parrot named Zorblax2198."]
    assert [f.text for f in extract_facts("My cat is called Whiskers.")] == [
        "They have a cat named Whiskers."]
    assert "They live in Berlin." in [f.text for f in extract_facts("I live in Berlin.")]
    assert extract_facts("我叫小明")[0].name == "小明"


def test_every_stored_wording_parses_back() -> None:
    for text in ("用户养了一只猫，名叫咪咪。", "They have a parrot named Zorblax2198.",
                 "用户的名字是小明。", "They live in Berlin."):
        assert parse_fact(text) is not None
    assert parse_fact("They have a dog named Max.").values == {"pet": "dog", "name": "Max"}  # type: ignore[union-attr]
    assert parse_fact("free text") is None


FACTS = ["用户的名字是小明。", "用户养了一只猫，名叫咪咪。", "They have a parrot named Zorblax2198.",
         "They have a kitten named Tom.", "They live in Berlin.", "用户喜欢画画。"]


@pytest.mark.parametrize(("question", "lang", "answer"), [
    ("我的猫叫什么名字？", "zh", "你的猫分别叫咪咪和Tom。"),
    ("What is my parrot called?", "en", "Your parrot is called Zorblax2198."),
    ("What's my parrot's name?", "en", "Your parrot is called Zorblax2198."),
    ("我的鹦鹉叫啥？", "zh", "你的鹦鹉叫Zorblax2198。"),
    ("我叫什么名字？", "zh", "你叫小明。"),
    ("What is my name?", "en", "Your name is 小明."),
    ("Where do I live?", "en", "You live in Berlin."),
    ("我喜欢什么？", "zh", "你喜欢画画。"),
    ("我的狗叫什么名字？", "zh", "你还没跟我说过你的狗。"),
    ("What is my dog called?", "en", "You haven't told me about a dog yet."),
])
def test_memory_questions_are_answered_from_the_facts(question: str, lang: str,
                                                      answer: str) -> None:
    assert answer_from_memory(question, lang, FACTS) == answer


@pytest.mark.parametrize("text", ["12+5", "我的猫很可爱", "What is my favourite colour?",
                                  "Tell me about cats", "你叫什么名字？"])
def test_other_messages_are_not_memory_questions(text: str) -> None:
    assert answer_from_memory(text, "en", FACTS) is None


def test_unknown_name_and_unnamed_pet() -> None:
    assert answer_from_memory("我叫什么？", "zh", []) == "你还没告诉我你的名字。"
    assert answer_from_memory("What is my cat called?", "en", ["用户养了一只猫。"]) == (
        "You told me you have a cat, but not its name.")


def test_generated_text_keeps_stored_names_verbatim() -> None:
    names = stored_names(FACTS)
    assert names == ["小明", "咪咪", "Zorblax2198", "Tom"]
    assert keep_names_verbatim("Your parrot Zorblox2198 says hi!", names) == (
        "Your parrot Zorblax2198 says hi!")
    untouched = "Hello Charlie, the Zebra and Zorro went home. Great weather."
    assert keep_names_verbatim(untouched, names) == untouched


def test_the_chinese_name_fact_always_reaches_the_prompt() -> None:
    facts = [("用户的名字是小明。", [0.0, 1.0]), ("用户喜欢画画。", [1.0, 0.0])]
    assert rank_facts([1.0, 0.0], facts, k=1) == ["用户的名字是小明。", "用户喜欢画画。"]
