"""Platform-neutral splitting: limits in UTF-16 units, sensible boundaries, nothing lost."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.rendering import (
    Unit,
    codepoint_len,
    fence_spans,
    fenced_blocks,
    sanitize,
    split_markdown,
    split_points,
    split_text,
    utf16_len,
)

_text = st.lists(
    st.one_of(
        st.sampled_from(list("ab cd\n\n\t`*")),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
        st.sampled_from(["😀", "👩\u200d👩\u200d👧", "é", "e\u0301", "\r\n", "𝄞", "\n\n"]),
    ),
    max_size=300,
).map("".join)


def test_utf16_len_counts_astral_characters_twice() -> None:
    assert utf16_len("abc") == 3
    assert utf16_len("😀") == 2
    assert utf16_len("a😀b") == 4
    assert utf16_len("") == 0
    assert codepoint_len("😀") == 1


def test_sanitize_joins_pairs_and_replaces_lone_surrogates() -> None:
    assert sanitize("a\ud83d\ude00b") == "a😀b"
    assert sanitize("x\ud800y") == "x\ufffdy"
    assert sanitize("nul\x00byte") == "nulbyte"
    assert sanitize("plain") == "plain"
    sanitize("x\udfff").encode("utf-8")  # encodable now


def test_short_text_is_one_part_and_empty_is_none() -> None:
    assert split_text("hello", 10) == ["hello"]
    assert split_text("", 10) == []


def test_prefers_paragraph_then_line_then_word_boundaries() -> None:
    para = "alpha beta gamma.\n\ndelta epsilon zeta eta"
    assert split_text(para, 30) == ["alpha beta gamma.\n\n", "delta epsilon zeta eta"]
    lines = "one two three\nfour five six seven"
    assert split_text(lines, 20) == ["one two three\n", "four five six seven"]
    words = "one two three four five six"
    parts = split_text(words, 12)
    assert all(p.endswith(" ") for p in parts[:-1])
    assert "".join(parts) == words


def test_hard_cut_keeps_astral_characters_and_combining_marks_whole() -> None:
    text = "😀" * 10
    parts = split_text(text, 5)  # 5 units fit two emoji (4 units), never half of one
    assert parts[0] == "😀😀"
    assert "".join(parts) == text
    accented = "e\u0301" * 6
    assert all(not p.startswith("\u0301") for p in split_text(accented, 3))


def test_protected_range_moves_to_next_part_when_it_fits() -> None:
    text = "intro words here " + "[CODE-BLOCK-XYZ]" + " tail"
    start = text.index("[")
    protected = [(start, start + 16)]
    parts = split_text(text, 30, protected=protected)
    assert any(p.startswith("[CODE-BLOCK-XYZ]") for p in parts)
    assert "".join(parts) == text


def test_split_points_rejects_tiny_limits() -> None:
    try:
        split_points("abc", 1)
    except ValueError:
        return
    raise AssertionError("limit 1 accepted")


@settings(max_examples=300, deadline=None)
@given(text=_text, limit=st.integers(min_value=2, max_value=64))
def test_parts_fit_and_concatenate_back(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert "".join(parts) == text
    assert all(0 < utf16_len(p) <= limit for p in parts)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=20000))
def test_parts_fit_telegram_limit_on_long_texts(text: str) -> None:
    parts = split_text(sanitize(text), 4096)
    assert "".join(parts) == sanitize(text)
    assert all(utf16_len(p) <= 4096 for p in parts)


def test_fenced_blocks_found_with_language_and_unclosed_tail() -> None:
    text = "a\n```py\nx = 1\n```\nb\n```\nopen"
    blocks = fenced_blocks(text)
    assert [(text[s:e].splitlines()[0], info) for s, e, info in blocks] == [
        ("```py", "py"),
        ("```", ""),
    ]
    assert blocks[-1][1] == len(text)


def test_split_markdown_reopens_a_long_fence_in_every_part() -> None:
    code = "".join(f"line {i}\n" for i in range(60))
    text = f"Here:\n```python\n{code}```\nDone."
    parts = split_markdown(text, 120)
    assert all(utf16_len(p) <= 120 for p in parts)
    inner = [p for p in parts if "line" in p]
    assert all(p.count("```") % 2 == 0 for p in parts)  # every part's fences are balanced
    assert all(p.lstrip().startswith("```python") for p in inner[1:])

    def content(t: str) -> list[str]:
        return [ln for ln in t.splitlines() if not ln.startswith("```")]

    assert [ln for p in parts for ln in content(p)] == content(text)


def test_split_markdown_keeps_a_fitting_block_whole() -> None:
    block = "```\n" + "code " * 10 + "\n```"
    text = "words " * 15 + "\n" + block + "\nend"
    parts = split_markdown(text, 100)
    assert sum(block in p for p in parts) == 1
    assert "".join(parts) == text


def test_one_splitter_counts_in_the_platforms_unit() -> None:
    text = "😀 " * 2900  # 3 UTF-16 units, 2 characters each
    telegram = split_markdown(text, 4096, unit=Unit.UTF16)
    discord = split_markdown(text, 2000, unit=Unit.CHARS)
    assert all(utf16_len(p) <= 4096 for p in telegram) and len(telegram) == 3
    assert all(len(p) <= 2000 for p in discord) and len(discord) == 3
    assert "".join(telegram) == "".join(discord) == text


def test_a_sentence_end_beats_a_later_space() -> None:
    text = "First sentence here. Then more words follow on"
    parts = split_text(text, 40)
    assert parts[0] == "First sentence here. "
    assert split_text("第一句话。第二句话很长很长", 10)[0] == "第一句话。"


def test_trim_drops_blank_parts_and_edges() -> None:
    assert split_markdown("\n\n  \n", 100, trim=True) == []
    text = "word " * 8 + "end.\n\n" + "gamma " * 30
    parts = split_markdown(text, 60, unit=Unit.CHARS, trim=True)
    assert parts[0] == "word " * 8 + "end." and all(p == p.strip() for p in parts)


def test_a_fence_in_the_middle_of_a_line_is_a_block() -> None:
    text = "You said: ```js\n" + "let a = 1;\n" * 30 + "```"
    assert fence_spans(text) == [(10, len(text), "js")]
    parts = split_markdown(text, 100, unit=Unit.CHARS)
    assert all(p.count("```") % 2 == 0 for p in parts)
    assert all(p.startswith("```js\n") for p in parts[1:])
