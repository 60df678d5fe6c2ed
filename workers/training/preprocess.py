"""Preprocessing: normalize, redact PII, dedupe and split with a fixed seed.

The same :func:`clean_text` runs at inference (in the encoder), so training and serving see text the
same way.
"""

from __future__ import annotations

import html
import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence

from workers.training.examples import Example

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?<!\w)(?:\+?\d[\d ().-]{7,}\d)(?!\w)")
_URL = re.compile(r"https?://\S+|www\.\S+")
_MENTION = re.compile(r"@\w{1,30}")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")


def redact_pii(text: str) -> str:
    """Replace e-mail addresses, phone numbers, URLs and @mentions by placeholders."""
    text = _EMAIL.sub("<email>", text)
    text = _URL.sub("<url>", text)
    text = _MENTION.sub("@user", text)
    return _PHONE.sub("<phone>", text)


def normalize(text: str) -> str:
    """Unicode NFKC, HTML entities decoded, control/zero-width characters removed, spaces collapsed."""
    text = unicodedata.normalize("NFKC", html.unescape(text))
    text = _CONTROL.sub("", text)
    return _SPACE.sub(" ", text).strip()


def clean_text(text: str) -> str:
    """Normalize then redact: the form every text takes before the encoder."""
    return redact_pii(normalize(text))


def dedupe_key(text: str) -> str:
    """The key under which near-identical texts collapse (case and punctuation ignored)."""
    return re.sub(r"[^\w<>]+", " ", text.lower()).strip()


def dedupe(examples: Iterable[Example]) -> list[Example]:
    """Keep the first example of each text (callers put hand-written data first).

    Examples for different tasks with one text are merged into one example when they agree.
    """
    kept: dict[str, Example] = {}
    for ex in examples:
        key = dedupe_key(ex.text)
        if not key:
            continue
        if key in kept:
            kept[key] = kept[key].merged(ex)
        else:
            kept[key] = ex
    return list(kept.values())


def stratified_split(examples: Sequence[Example], seed: int, val: float = 0.15,
                     test: float = 0.15) -> tuple[list[Example], list[Example], list[Example]]:
    """Split each stratum (``Example.stratum``) into train/val/test with a fixed seed.

    Only examples with ``holdout=True`` (hand-written) go to val/test; the rest stay in train.
    """
    groups: dict[str, list[Example]] = defaultdict(list)
    train: list[Example] = []
    for ex in examples:
        (groups[ex.stratum] if ex.holdout else train).append(ex)
    val_set: list[Example] = []
    test_set: list[Example] = []
    rng = random.Random(seed)
    for key in sorted(groups):
        items = sorted(groups[key], key=lambda e: e.text)
        rng.shuffle(items)
        n_test = max(1, round(len(items) * test))
        n_val = max(1, round(len(items) * val))
        test_set += items[:n_test]
        val_set += items[n_test : n_test + n_val]
        train += items[n_test + n_val :]
    return train, val_set, test_set
