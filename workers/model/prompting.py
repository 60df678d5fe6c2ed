"""Render chat turns into prompt token ids within a token budget.

The oldest non-system turns are dropped first; the system turns and the last user turn are kept.
If those alone are still too long, the last user turn is cut from its start (its end, usually the
question, survives), then the system text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botcore.inference.payloads import ChatTurn


def has_chat_template(tokenizer: Any) -> bool:
    """True when the tokenizer carries a chat template."""
    return bool(getattr(tokenizer, "chat_template", None))


def render_text(tokenizer: Any, turns: Sequence[ChatTurn]) -> str:
    """The prompt text for ``turns``: the chat template, or a plain transcript without one."""
    if has_chat_template(tokenizer):
        messages = [{"role": t.role, "content": t.content} for t in turns]
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return str(text)
    lines = []
    for turn in turns:
        if turn.role == "system":
            lines.append(turn.content)
        else:
            lines.append(f"{'User' if turn.role == 'user' else 'Assistant'}: {turn.content}")
    return "\n".join(lines) + "\nAssistant:"


def count_tokens(tokenizer: Any, text: str) -> int:
    """The number of tokens of ``text`` (no special tokens added)."""
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def _cut_start(tokenizer: Any, text: str, keep: int) -> str:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return str(tokenizer.decode(ids[-keep:] if keep > 0 else [], skip_special_tokens=True))


def fit_turns(tokenizer: Any, turns: Sequence[ChatTurn], budget: int) -> list[ChatTurn]:
    """Drop or cut turns until the rendered prompt has at most ``budget`` tokens.

    Args:
        tokenizer: a Hugging Face tokenizer.
        turns: the conversation, oldest first.
        budget: the most prompt tokens allowed (model context minus ``max_new_tokens``).

    Returns:
        The turns to render, in order.
    """
    turns = list(turns)
    if not turns:
        turns = [ChatTurn(role="user", content="")]
    last_user = max((i for i, t in enumerate(turns) if t.role == "user"), default=len(turns) - 1)
    keep = [t.role == "system" or i == last_user for i, t in enumerate(turns)]
    droppable = [i for i, k in enumerate(keep) if not k]

    def current() -> list[ChatTurn]:
        return [t for t, k in zip(turns, keep, strict=True) if k]

    def size() -> int:
        return count_tokens(tokenizer, render_text(tokenizer, current()))

    # Drop the k oldest droppable turns, k minimal; binary search (size shrinks as k grows), so
    # a long history costs O(log n) renders instead of O(n).
    def drop(k: int) -> None:
        for j, i in enumerate(droppable):
            keep[i] = j >= k

    lo, hi = 0, len(droppable)
    while lo < hi:
        mid = (lo + hi) // 2
        drop(mid)
        if size() <= budget:
            hi = mid
        else:
            lo = mid + 1
    drop(lo)
    over = size() - budget
    if over <= 0:
        return current()
    user = turns[last_user]
    user_len = count_tokens(tokenizer, user.content)
    turns[last_user] = ChatTurn(role=user.role, content=_cut_start(tokenizer, user.content,
                                                                   max(user_len - over - 2, 1)))
    over = size() - budget
    if over > 0:
        for i, t in enumerate(turns):
            if keep[i] and t.role == "system":
                length = count_tokens(tokenizer, t.content)
                turns[i] = ChatTurn(role="system",
                                    content=_cut_start(tokenizer, t.content, length - over - 2))
                over = size() - budget
                if over <= 0:
                    break
    return current()
