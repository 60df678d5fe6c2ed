"""Recognising a request for a human, and the escalation a staff reply refers to."""

from __future__ import annotations

import re

_EN = re.compile(
    r"^\W*(?:a\s+)?(?:real\s+|live\s+)?(?:human|person|agent|operator|representative|staff)"
    r"(?:\s+(?:please|pls|now))?\W*$"
    r"|\b(?:talk|speak|chat|connect|transfer|put)\w*\s+(?:me\s+)?(?:to|with|through\s+to)\s+"
    r"(?:a\s+|an\s+|the\s+|your\s+|some\s+)?(?:real\s+|live\s+|actual\s+)?"
    r"(?:human|person|agent|operator|representative|staff|someone|somebody|people)\b"
    r"|\b(?:want|need|get)\s+(?:a\s+|an\s+)?(?:real\s+|live\s+|actual\s+)?"
    r"(?:human|person|agent|operator|representative)\b"
    r"|\b(?:real|actual|live)\s+(?:human|person|agent)\b"
    r"|\bhuman\s+(?:agent|support|being|help)\b|\bcustomer\s+service\s+agent\b",
    re.IGNORECASE,
)
_ZH = re.compile(r"转人工|人工客服|人工服务|真人客服|找人工|要人工|接人工|真人|找客服|联系客服|^\W*人工\W*$")

_MARK = re.compile(r"^\s*(?:🔔|➕)\s*#(\d+)\b")


def wants_human(text: str) -> bool:
    """True when the user asks to talk to a person ("human please", "转人工", "人工客服"…).

    Deliberately narrow: "human" inside a question about biology is not a request.
    """
    t = text.strip()
    if not t or len(t) > 300:
        return False
    return bool(_EN.search(t) or _ZH.search(t))


def staff_mark(text: str | None) -> int | None:
    """The escalation number a staff notification starts with (``🔔 #12 …``), or None."""
    if not text:
        return None
    found = _MARK.match(text)
    return int(found.group(1)) if found else None
