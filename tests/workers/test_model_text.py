"""Prompt fitting and text clean-up, with a real tokenizer (the bundled MiniLM's, no template)."""

from __future__ import annotations

import pytest

from botcore.inference.payloads import ChatTurn
from workers.model.prompting import count_tokens, fit_turns, render_text
from workers.model.sources import bundled_encoder_dir
from workers.model.textproc import (
    cut_at_stop,
    distinct_n,
    last_sentence_end,
    repetition_rate,
    trim_unfinished,
)


@pytest.fixture(scope="module")
def tokenizer() -> object:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(bundled_encoder_dir()))


def _turns(n: int) -> list[ChatTurn]:
    turns = [ChatTurn(role="system", content="You are Botcore. SECRET-SYSTEM")]
    for i in range(n):
        turns.append(ChatTurn(role="user", content=f"user message number {i} " * 5))
        turns.append(ChatTurn(role="assistant", content=f"assistant reply number {i} " * 5))
    turns.append(ChatTurn(role="user", content="the last question LAST-USER"))
    return turns


def test_fit_turns_keeps_system_and_last_user_and_drops_oldest(tokenizer: object) -> None:
    turns = _turns(40)
    kept = fit_turns(tokenizer, turns, budget=200)
    text = render_text(tokenizer, kept)
    assert count_tokens(tokenizer, text) <= 200
    assert kept[0].role == "system" and kept[-1].content.endswith("LAST-USER")
    assert "SECRET-SYSTEM" in text
    middle = [t.content for t in kept[1:-1]]
    assert middle, "some recent history fits and must be kept"
    assert "number 39" in middle[-1] and "number 0 " not in " ".join(middle)


def test_fit_turns_returns_everything_when_it_fits(tokenizer: object) -> None:
    turns = _turns(2)
    assert fit_turns(tokenizer, turns, budget=10_000) == turns


def test_fit_turns_cuts_a_huge_last_message_from_its_start(tokenizer: object) -> None:
    turns = [ChatTurn(role="system", content="sys"),
             ChatTurn(role="user", content="filler " * 2000 + "the real question END")]
    kept = fit_turns(tokenizer, turns, budget=100)
    assert count_tokens(tokenizer, render_text(tokenizer, kept)) <= 100
    assert kept[-1].content.lower().endswith("end") and kept[0].content == "sys"


def test_cut_at_stop_takes_the_earliest_stop() -> None:
    assert cut_at_stop("Hello.\nUser: hi ### x", ["###", "\nUser:"]) == ("Hello.", True)
    assert cut_at_stop("no stop here", ["###"]) == ("no stop here", False)


def test_trim_unfinished_drops_the_trailing_fragment() -> None:
    assert trim_unfinished("It is sunny. We should go") == "It is sunny."
    assert trim_unfinished("Done!") == "Done!"
    assert trim_unfinished("no sentence end at all here") == "no sentence end at all…"
    assert last_sentence_end("One. Two? Thr") == len("One. Two?")


def test_repetition_rate_and_distinct() -> None:
    assert repetition_rate("the cat sat on the mat") == 0.0
    looped = "they use sunlight to make food " * 4
    assert repetition_rate(looped) > 0.7
    assert distinct_n(["a b c", "a b d"], 2) == pytest.approx(3 / 4)
