"""The reply Markdown subset → Telegram HTML, split at Telegram's length limit.

Replies use ``**bold**``, ``*italic*``, `` `code` `` and fenced code blocks (see
:class:`botcore.messages.OutgoingMessage`). We parse that subset into styled runs, escape every
run's text (``&``, ``<``, ``>``) and emit the tags ourselves, so the HTML is always well formed:
an unmatched marker is shown literally, never as a broken tag. Splitting works on the *visible*
text (Telegram counts 4096 UTF-16 units after entity parsing); each part closes its own tags, and
code blocks are kept whole when they fit in one part.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, replace

from adapters.rendering import fenced_blocks, sanitize, split_points, utf16_len

TELEGRAM_TEXT_LIMIT = 4096
"""UTF-16 code units per message, after entity parsing."""

_LANG_OK = re.compile(r"[^A-Za-z0-9_+#.-]")
_CLOSING_LINE = re.compile(r"[ \t]*```+[ \t]*")


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of visible text with one style."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    pre: bool = False
    lang: str = ""

    def same_style(self, other: Run) -> bool:
        """True when ``other`` renders with the same tags."""
        return (self.bold, self.italic, self.code, self.pre, self.lang) == (
            other.bold,
            other.italic,
            other.code,
            other.pre,
            other.lang,
        )


@dataclass(frozen=True, slots=True)
class RenderedPart:
    """One Telegram message worth of text: HTML to send, and the plain fallback."""

    html: str
    plain: str


def _closing(s: str, marker: str, start: int) -> int:
    """Index of a closing ``marker`` after ``start`` that is preceded by non-space, or -1."""
    j = s.find(marker, start)
    while j != -1:
        if j > start and not s[j - 1].isspace():
            if marker != "*" or not s.startswith("**", j):
                return j
            if s.startswith("***", j):  # "*it***": the first star closes the italic
                return j
        j = s.find(marker, j + len(marker) if marker != "*" else j + 2)
    return -1


def _inline(s: str, bold: bool = False, italic: bool = False) -> list[Run]:
    """Parse emphasis and inline code in text outside fenced blocks."""
    runs: list[Run] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            runs.append(Run("".join(buf), bold=bold, italic=italic))
            buf.clear()

    i = 0
    while i < len(s):
        c = s[i]
        if c == "`":
            n = len(s) - i - len(s[i:].lstrip("`"))
            ticks = "`" * n
            j = s.find(ticks, i + n)
            while j != -1 and s.startswith("`", j + n):
                j = s.find(ticks, j + n + 1)
            if j > i + n:
                flush()
                runs.append(Run(s[i + n : j], code=True))
                i = j + n
            else:
                buf.append(ticks)
                i += n
            continue
        for marker, b, it in (("***", True, True), ("**", True, False), ("*", False, True)):
            if not s.startswith(marker, i):
                continue
            body_at = i + len(marker)
            if body_at >= len(s) or s[body_at].isspace() or (marker == "*" and s[body_at] == "*"):
                continue
            j = _closing(s, marker, body_at)
            if j == -1:
                continue
            flush()
            runs.extend(_inline(s[body_at:j], bold or b, italic or it))
            i = j + len(marker)
            break
        else:
            buf.append(c)
            i += 1
    flush()
    return runs


def parse(text: str) -> list[Run]:
    """Parse the reply Markdown subset into styled runs (empty runs dropped, like styles merged)."""
    text = sanitize(text)
    runs: list[Run] = []
    pos = 0
    for start, end, info in fenced_blocks(text):
        runs.extend(_inline(text[pos:start]))
        body_start = text.index("\n", start) + 1
        body = text[body_start:end]
        last_nl = body.rfind("\n")
        if _CLOSING_LINE.fullmatch(body[last_nl + 1 :]):  # closed: drop the closing fence line
            body = body[: max(last_nl, 0)]
        lang = _LANG_OK.sub("", info.split()[0]) if info.split() else ""
        runs.append(Run(body, pre=True, lang=lang))
        pos = end
    runs.extend(_inline(text[pos:]))
    return _merge(runs)


def _merge(runs: list[Run]) -> list[Run]:
    out: list[Run] = []
    for run in runs:
        if not run.text:
            continue
        if out and out[-1].same_style(run):
            out[-1] = replace(out[-1], text=out[-1].text + run.text)
        else:
            out.append(run)
    return out


def run_html(run: Run) -> str:
    """One run as Telegram HTML."""
    body = html.escape(run.text, quote=False)
    if run.pre:
        if run.lang:
            return f'<pre><code class="language-{run.lang}">{body}</code></pre>'
        return f"<pre>{body}</pre>"
    if run.code:  # Telegram: code can't be nested in other entities
        return f"<code>{body}</code>"
    if run.italic:
        body = f"<i>{body}</i>"
    if run.bold:
        body = f"<b>{body}</b>"
    return body


def to_html(runs: list[Run]) -> str:
    """Runs as one HTML string."""
    return "".join(run_html(r) for r in runs)


def visible(runs: list[Run]) -> str:
    """The text Telegram shows for ``runs`` (what its length limit counts)."""
    return "".join(r.text for r in runs)


def slice_runs(runs: list[Run], start: int, end: int) -> list[Run]:
    """The runs covering visible ``[start, end)``, cut at the edges."""
    out: list[Run] = []
    pos = 0
    for run in runs:
        a, b = pos, pos + len(run.text)
        pos = b
        if b <= start or a >= end:
            continue
        out.append(replace(run, text=run.text[max(start, a) - a : min(end, b) - a]))
    return out


def render(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[RenderedPart]:
    """Render reply Markdown as Telegram HTML parts of at most ``limit`` visible UTF-16 units.

    Parts that would show only whitespace are dropped (Telegram refuses empty messages).
    """
    runs = parse(text)
    plain = visible(runs)
    protected: list[tuple[int, int]] = []
    pos = 0
    for run in runs:
        if run.pre or run.code:
            protected.append((pos, pos + len(run.text)))
        pos += len(run.text)
    points = split_points(plain, limit, protected=protected, measure=utf16_len)
    parts: list[RenderedPart] = []
    for a, b in itertools.pairwise(points):
        chunk = plain[a:b]
        if chunk.strip():
            parts.append(RenderedPart(to_html(slice_runs(runs, a, b)), chunk))
    return parts
