"""Preprocessing, the split and the config."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from botcore.errors import ConfigError
from workers.training.config import load_config
from workers.training.data import (
    DATA_DIR,
    EXTERNAL_DIR,
    build_dataset,
    eval_sets,
    external_dir,
    hand_written,
    load_faq,
)
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
    cfg.external.data_dir = Path("/nonexistent")  # fast: hand-written + packages only
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
    cfg.external.data_dir = tmp_path / "none"
    cfg.deployer_faq, cfg.faq_files = False, [faq]
    settings = Settings(_env_file=None, data_dir=tmp_path / "d")  # type: ignore[call-arg]
    entries = deployer_faq(settings, cfg)
    assert entries == [("vat", ["do prices include VAT?", "is VAT included?"])]
    data = build_dataset(cfg, entries)
    mine = [e for e in data.train if e.group == "deployer:vat"]
    assert len(mine) == 2 and all(e.skill == "faq" for e in mine)
    assert not [e for e in data.val + data.test if e.source == "deployer_faq"]


def test_chinese_hand_written_data_covers_every_skill_and_safety_label() -> None:
    counts = Counter(e.stratum for e in hand_written(load_config(), "zh"))
    for skill in ("companion", "tutor", "faq", "assistant"):
        assert counts[f"skill:{skill}"] >= 60
    for label in ("abuse", "self_harm", "sexual", "prompt_injection", "none"):
        assert counts[f"safety:{label}"] >= 20
    zh = load_faq(DATA_DIR / "zh" / "faq_kb.jsonl")
    assert {e.id for e in zh} == {e.id for e in load_faq()}
    assert all(len(e.train_questions) + len(e.query_questions) == 10 for e in zh)


def test_training_data_ships_in_the_repo_with_licences() -> None:
    cfg = load_config()
    assert cfg.external.data_dir is None and external_dir(cfg) == EXTERNAL_DIR
    assert EXTERNAL_DIR.is_relative_to(Path(__file__).resolve().parents[2])
    for name, licence in (("cold_train.csv", "LICENSE-cold"), ("cold_heldout.csv", "LICENSE-cold"),
                          ("davidson_sample.csv", "LICENSE-davidson"),
                          ("gsm8k_questions.jsonl", "LICENSE-gsm8k")):
        assert (EXTERNAL_DIR / name).is_file() and (EXTERNAL_DIR / licence).is_file()
    text = (Path(__file__).resolve().parents[2] / "workers/training/default.yaml").read_text()
    assert "/work/" not in text and "shared_data_dir" not in text


def test_held_out_sets_never_reach_training(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config()
    cfg.external.cold, cfg.external.cold_val = 3000, 300
    data = build_dataset(cfg)
    train = {e.text for e in data.train}
    sets = eval_sets(cfg)
    assert len(sets["cold_heldout"]) == 2000 and len(sets["maths_zh"]) == 40
    for name in ("cold_heldout", "smalltalk_en", "smalltalk_zh", "maths_zh"):
        assert sets[name] and not {e.text for e in sets[name]} & train, name
    cold_val = [e for e in data.val if e.source == "cold"]
    assert len(cold_val) == 300 and not {e.text for e in cold_val} & train
    assert {e.lang for e in data.test} == {"en", "zh"}


def test_chinese_data_leaves_the_english_split_unchanged(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    from workers.training import data as data_mod

    cfg = load_config()
    cfg.external.data_dir = tmp_path / "none"  # no corpora: hand-written + packages only
    cfg.external.chatterbot_zh_companion = 0
    both = build_dataset(cfg)
    monkeypatch.setattr(data_mod, "ZH_DIR", tmp_path / "no-zh")
    monkeypatch.setattr(data_mod, "DATA_DIR", DATA_DIR)
    english_only = data_mod.build_dataset(cfg)
    for part in ("test", "val"):
        en = sorted(e.text for e in getattr(both, part) if e.lang == "en")
        assert en == sorted(e.text for e in getattr(english_only, part))
