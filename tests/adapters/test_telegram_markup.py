"""Reply Markdown → Telegram HTML: escaping, the subset, code blocks, and 4096-unit parts."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.rendering import utf16_len
from adapters.telegram.markup import TELEGRAM_TEXT_LIMIT, parse, render, visible

_ALLOWED = {"b", "i", "code", "pre"}


class _Checker(HTMLParser):
    """Checks the HTML the way Telegram's parser would: known tags, balanced, nothing else."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in _ALLOWED, tag
        if tag == "code" and attrs:
            assert self.stack[-1:] == ["pre"]
            assert attrs[0][0] == "class" and re.fullmatch(r"language-[\w+#.-]+", attrs[0][1] or "")
        else:
            assert not attrs
        if tag in ("code", "pre"):
            assert not (set(self.stack) - {"pre"}), f"{tag} inside {self.stack}"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack)
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _check(html: str) -> str:
    """Assert ``html`` is well formed for Telegram; return its visible text."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert not checker.stack
    return "".join(checker.text)


def _html(text: str) -> str:
    parts = render(text)
    assert len(parts) == 1
    return parts[0].html


def test_subset_becomes_tags() -> None:
    assert _html("**bold** and *it*") == "<b>bold</b> and <i>it</i>"
    assert _html("use `x < y`") == "use <code>x &lt; y</code>"
    assert _html("***both***") == "<b><i>both</i></b>"
    assert _html("**a *b* c**") == "<b>a </b><b><i>b</i></b><b> c</b>"


def test_everything_else_is_escaped() -> None:
    assert _html("<script>alert(1)</script> & co") == ("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co")
    assert _html('<a href="x">link</a>') == '&lt;a href="x"&gt;link&lt;/a&gt;'
    assert _html("&amp; stays literal") == "&amp;amp; stays literal"


def test_unmatched_markers_stay_literal() -> None:
    assert _html("2 * 3 * 4") == "2 * 3 * 4"
    assert _html("**not closed") == "**not closed"
    assert _html("a ` b") == "a ` b"
    assert _html("snake_case_name") == "snake_case_name"


def test_fenced_code_becomes_pre_with_language() -> None:
    html = _html("Try:\n```python\nif a < b:\n    print('**no bold**')\n```\nDone.")
    assert html == (
        'Try:\n<pre><code class="language-python">if a &lt; b:\n'
        "    print('**no bold**')</code></pre>\nDone."
    )
    assert _html("```\nplain block\n```") == "<pre>plain block</pre>"


def test_unclosed_fence_while_streaming_is_still_valid_html() -> None:
    assert _html("Look:\n```js\nlet x = 1 <") == (
        'Look:\n<pre><code class="language-js">let x = 1 &lt;</code></pre>'
    )


def test_language_is_sanitized() -> None:
    html = _html('```py"><b onclick=x\ncode\n```')
    assert 'class="language-pyb' in html and '"><b' not in html.split("</code>")[0][:40]
    _check(html)


def test_whitespace_only_renders_nothing() -> None:
    assert render("") == []
    assert render("  \n\n ") == []
    assert render("```\n```") == []


def test_long_reply_splits_at_paragraphs_within_limit() -> None:
    paragraphs = [f"Paragraph {i}: " + "word " * 300 for i in range(10)]
    parts = render("\n\n".join(paragraphs))
    assert len(parts) > 1
    for part in parts:
        assert utf16_len(part.plain) <= TELEGRAM_TEXT_LIMIT
        assert part.plain.lstrip().startswith("Paragraph")
        assert _check(part.html) == part.plain


def test_emoji_count_as_two_units() -> None:
    parts = render("😀" * 3000)  # 6000 UTF-16 units
    assert [utf16_len(p.plain) for p in parts] == [4096, 6000 - 4096]


def test_code_block_is_not_split_when_it_fits_a_part() -> None:
    block = "```python\n" + "x = 1\n" * 300 + "```"  # ~1800 units
    text = "intro " * 500 + "\n" + block + "\nend"
    parts = render(text)
    with_code = [p for p in parts if "<pre>" in p.html]
    assert len(with_code) == 1
    assert with_code[0].html.count("x = 1") == 300


def test_huge_code_block_is_split_into_valid_pre_parts() -> None:
    text = "```\n" + "".join(f"row {i} <tag>\n" for i in range(800)) + "```"
    parts = render(text)
    assert len(parts) > 1
    for part in parts:
        assert part.html.startswith("<pre>") and part.html.endswith("</pre>")
        assert utf16_len(part.plain) <= TELEGRAM_TEXT_LIMIT
        _check(part.html)


def test_bold_across_a_split_is_closed_and_reopened() -> None:
    text = "**" + ("bold words " * 600).strip() + "**"
    parts = render(text)
    assert len(parts) == 2
    assert all(p.html.startswith("<b>") and p.html.endswith("</b>") for p in parts)


_md = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "**",
                "*",
                "`",
                "```",
                "```py\n",
                "\n```\n",
                "\n",
                "\n\n",
                " ",
                "<",
                ">",
                "&",
                "&amp;",
                "😀",
                "word",
                "e\u0301",
                "\u200f",
                "\u200b",
            ]
        ),
        st.text(max_size=8),
    ),
    max_size=60,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=_md)
def test_any_input_gives_valid_html_matching_its_plain_text(text: str) -> None:
    for part in render(text):
        assert _check(part.html) == part.plain
        assert part.plain.strip()


@settings(max_examples=60, deadline=None)
@given(text=_md, repeat=st.integers(min_value=1, max_value=400))
def test_parts_fit_4096_units_and_keep_all_content(text: str, repeat: int) -> None:
    text = text * repeat
    parts = render(text)
    assert all(utf16_len(p.plain) <= TELEGRAM_TEXT_LIMIT for p in parts)
    whole = visible(parse(text))
    assert "".join(p.plain for p in parts).split() == whole.split()
