"""Splitting at Discord's 2000 characters with code blocks intact, and mass-mention neutralizing."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.discord.text import (
    DISCORD_LIMIT,
    neutralize_mass_mentions,
    split_message,
    truncate,
)


def _words(text: str) -> list[str]:
    """The text's words, with fence markers removed (splitting may add/remove those)."""
    return re.sub(r"```[\w+#.-]*", " ", text).split()


def test_short_text_is_one_chunk() -> None:
    assert split_message("hello") == ["hello"]
    assert split_message("") == []
    assert split_message("\n\n  \n") == []


def test_long_prose_splits_on_paragraphs_and_keeps_every_word() -> None:
    paragraphs = [f"Paragraph {i}. " + "word " * 150 for i in range(8)]
    text = "\n\n".join(paragraphs)
    chunks = split_message(text)
    assert len(chunks) > 1
    assert all(len(c) <= DISCORD_LIMIT for c in chunks)
    assert all(c.startswith("Paragraph") for c in chunks)  # cut at paragraph starts
    assert _words("\n".join(chunks)) == _words(text)


def test_code_block_is_closed_and_reopened_with_its_language() -> None:
    code = "".join(f"value_{i} = compute({i})\n" for i in range(300))
    text = f"Here is the code:\n```python\n{code}```\nThat's all."
    chunks = split_message(text)
    assert len(chunks) >= 3
    for chunk in chunks:
        assert len(chunk) <= DISCORD_LIMIT
        assert chunk.count("```") % 2 == 0, "every chunk renders on its own"
    for chunk in chunks[1:-1]:
        assert chunk.startswith("```python\n") and chunk.endswith("\n```")
    # no code line is lost or cut in half
    lines = [ln for c in chunks for ln in c.splitlines() if ln.startswith("value_")]
    assert lines == code.splitlines()


def test_fence_in_the_middle_of_a_line_counts() -> None:
    text = "You said: ```js\n" + "let a = 1;\n" * 400 + "```"
    chunks = split_message(text)
    assert all(c.count("```") % 2 == 0 for c in chunks)
    assert chunks[1].startswith("```js\n")


def test_one_huge_word_is_hard_cut() -> None:
    chunks = split_message("x" * 4500)
    assert [len(c) for c in chunks] == [1996, 1996, 508]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet=st.characters(codec="utf-8", exclude_characters="`"), max_size=300),
            st.just("\n```py\n"),
            st.just("\n```\n"),
            st.just("\n\n"),
        ),
        max_size=40,
    ),
    st.integers(min_value=60, max_value=DISCORD_LIMIT),
)
def test_chunks_always_fit_and_balance_fences(parts: list[str], limit: int) -> None:
    text = "".join(parts)
    chunks = split_message(text, limit)
    for chunk in chunks:
        assert 0 < len(chunk) <= limit
        assert chunk.strip()
    if text.count("```") % 2 == 0:
        assert all(c.count("```") % 2 == 0 for c in chunks)
    # a word longer than the limit is hard-cut, so compare the text without whitespace
    assert "".join(_words("".join(c + " " for c in chunks))) == "".join(_words(text))


def test_mass_mentions_are_neutralized() -> None:
    out = neutralize_mass_mentions("hey @everyone and @here, mail me at a@everyone.org")
    assert "@everyone " not in out and "@here," not in out
    assert "@\u200beveryone" in out and "@\u200bhere" in out
    assert neutralize_mass_mentions("no mentions") == "no mentions"


def test_truncate_marks_the_cut() -> None:
    assert truncate("abc", 10) == "abc"
    assert truncate("a" * 30, 10) == "a" * 9 + "…"
