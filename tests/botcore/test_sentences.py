"""Sentence ends in English and Chinese (no spaces) for streaming, trimming, splitting, summaries."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.text import split_message
from adapters.rendering import split_text, utf16_len
from botcore.dialogue.prompt import estimate_tokens
from botcore.memory.base import Turn
from botcore.memory.recall import extractive_summary
from botcore.sentences import CJK_ENDS, CLOSERS, last_sentence_end, split_sentences
from workers.model.textproc import trim_unfinished

_HAN = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1,
               max_size=30)
_CLAUSE = st.builds(lambda a, b: a + "，" + b, _HAN, _HAN) | _HAN
_SENT = st.builds(lambda body, end: body + end, _CLAUSE, st.sampled_from(list(CJK_ENDS)))


@settings(max_examples=200, deadline=None)
@given(st.lists(_SENT, min_size=1, max_size=12), _CLAUSE | st.just(""))
def test_chinese_text_splits_into_its_sentences(sentences: list[str], tail: str) -> None:
    text = "".join(sentences) + tail
    assert split_sentences(text) == sentences + ([tail] if tail else [])
    assert last_sentence_end(text) == len("".join(sentences))


@settings(max_examples=100, deadline=None)
@given(st.lists(_SENT, min_size=2, max_size=60), st.integers(min_value=40, max_value=400))
def test_long_chinese_replies_are_cut_at_sentence_ends(sentences: list[str], limit: int) -> None:
    text = "".join(sentences)
    parts = split_text(text, limit)
    assert "".join(parts) == text
    assert all(utf16_len(p) <= limit for p in parts)
    for part in parts[:-1]:
        # cut after a sentence end whenever one lay in the second half of the window (all these
        # characters are one UTF-16 unit, so the window is ``limit`` long), else at a clause mark
        assert part[-1] in CJK_ENDS or (
            part[-1] == "，" and not any(c in CJK_ENDS for c in part[limit // 2:])), part


def test_discord_split_prefers_chinese_sentence_ends() -> None:
    text = "我今天去了公园，看到很多花。" * 200
    chunks = split_message(text, 2000)
    assert all(len(c) <= 2000 for c in chunks) and "".join(chunks) == text
    assert all(c.endswith("。") for c in chunks)


def test_streaming_and_trimming_know_chinese_ends() -> None:
    assert last_sentence_end("你好！我叫小明。我养了") == len("你好！我叫小明。")
    assert last_sentence_end("他说：“好的。”然后") == len("他说：“好的。”")
    assert "”" in CLOSERS
    assert trim_unfinished("你好！我叫小明。我养了") == "你好！我叫小明。"
    assert trim_unfinished("我今天很开心，因为天气") == "我今天很开心…"
    assert trim_unfinished("完整的一句话。") == "完整的一句话。"
    assert trim_unfinished("Hello there. I am") == "Hello there."  # English unchanged
    assert last_sentence_end("Version 3.5 is out") == 0


def test_mixed_and_english_sentences() -> None:
    assert split_sentences("Hi there. I'm Ana! 你好。再见") == ["Hi there.", "I'm Ana!", "你好。",
                                                                "再见"]


def test_summary_takes_the_first_chinese_sentence() -> None:
    turns = [Turn("user", "我下周有考试。我很紧张，不知道怎么办。"), Turn("assistant", "加油！"),
             Turn("user", "I like jazz. A lot.")]
    assert extractive_summary(turns) == "The user said: 我下周有考试。 | I like jazz."


def test_prompt_budget_counts_chinese_characters_as_tokens() -> None:
    assert estimate_tokens("你好世界") == 4
    assert estimate_tokens("hello world!") == 3
