"""Preprocessing, the split and the config."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from botcore.errors import ConfigError
from workers.training.config import load_config
from workers.training.data import build_dataset, hand_written, load_faq
from workers.training.examples import Example
from workers.training.preprocess import clean_text, dedupe, stratified_split


def test_clean_text_redacts_pii_and_normalizes() -> None:
    text = "Mail me at ana.b+x@example.com or call +44 20 7946 0958\u200b &amp; see https://x.io/a"
    assert clean_text(text) == "Mail me at <email> or call <phone> & see <url>"
    assert clean_text("  many   spaces\n\tand\u0007 bell ") == "many spaces and bell"


def test_dedupe_keeps_the_first_and_merges_labels() -> None:
    items = dedupe([Example("Hello there!", skill="companion"),
                    Example("hello there", emotion="joy", holdout=False),
                    Example("other", skill="faq")])
    assert len(items) == 2
    assert items[0].skill == "companion" and items[0].emotion == "joy" and items[0].holdout


def test_split_is_stratified_seeded_and_keeps_external_in_train() -> None:
    items = [Example(f"{s} text {i}", skill=s) for s in ("a", "b") for i in range(40)]
    items += [Example(f"ext {i}", skill="a", holdout=False) for i in range(30)]
    train, val, test = stratified_split(items, seed=3, val=0.15, test=0.25)
    again = stratified_split(list(reversed(items)), seed=3, val=0.15, test=0.25)
    assert [sorted(e.text for e in part) for part in (train, val, test)] == [
        sorted(e.text for e in part) for part in again]
    assert Counter(e.skill for e in test) == {"a": 10, "b": 10}
    assert all(e.holdout for e in val + test)
    assert len(train) + len(val) + len(test) == len(items)
    assert not {e.text for e in train} & {e.text for e in test}


def test_hand_written_data_is_big_enough() -> None:
    counts = Counter(e.stratum for e in hand_written(load_config()))
    for skill in ("companion", "tutor", "faq", "assistant"):
        assert counts[f"skill:{skill}"] >= 60
    faq = load_faq()
    assert len(faq) >= 15 and all(len(e.train_questions) + len(e.query_questions) == 10
                                  for e in faq)


def test_held_out_faq_queries_never_reach_training() -> None:
    cfg = load_config()
    cfg.external.shared_data_dir = Path("/nonexistent")  # fast: hand-written + packages only
    data = build_dataset(cfg)
    queries = {q.lower() for e in data.faq for q in e.query_questions}
    assert not queries & {e.text.lower() for e in data.train}


def test_config_rejects_unknown_loss_weights(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("loss_weights: {skill: 1.0, bogus: 2.0}\n")
    with pytest.raises(ConfigError):
        load_config(path)
    assert load_config().weight("skill") == 1.0


def test_deployer_faq_joins_the_train_split_only(tmp_path: Path) -> None:
    from botcore.config import Settings
    from workers.training.collect import deployer_faq

    faq = tmp_path / "kb.jsonl"
    faq.write_text('{"id": "vat", "questions": ["do prices include VAT?", "is VAT included?"],'
                   ' "answer": "Yes."}\n')
    cfg = load_config()
    cfg.external.shared_data_dir = tmp_path / "none"
    cfg.deployer_faq, cfg.faq_files = False, [faq]
    settings = Settings(_env_file=None, data_dir=tmp_path / "d")  # type: ignore[call-arg]
    entries = deployer_faq(settings, cfg)
    assert entries == [("vat", ["do prices include VAT?", "is VAT included?"])]
    data = build_dataset(cfg, entries)
    mine = [e for e in data.train if e.group == "deployer:vat"]
    assert len(mine) == 2 and all(e.skill == "faq" for e in mine)
    assert not [e for e in data.val + data.test if e.source == "deployer_faq"]
