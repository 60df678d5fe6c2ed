"""Collect training data: hand-written examples, the FAQ knowledge base and packaged corpora.

Hand-written examples (``workers/assets/data``) are the only ones split into val/test; external
corpora are sampled into the train split only (their numbers would not be held-out results).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import logging
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from workers.training.config import TrainConfig
from workers.training.examples import Example
from workers.training.preprocess import clean_text, dedupe, dedupe_key, stratified_split

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[1] / "assets" / "data"


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One knowledge-base entry with its phrasings split for training and held-out queries."""

    id: str
    answer: str
    train_questions: tuple[str, ...]
    query_questions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Dataset:
    """The preprocessed splits plus the FAQ knowledge base."""

    train: list[Example]
    val: list[Example]
    test: list[Example]
    faq: list[FaqEntry]


def _lines(path: Path) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


def load_faq(path: Path | None = None, train_questions: int = 6) -> list[FaqEntry]:
    """The FAQ knowledge base (JSONL ``{"id","questions","answer"}``), phrasings split in two."""
    entries = []
    for line in _lines(path or DATA_DIR / "faq_kb.jsonl"):
        row = json.loads(line)
        qs = [clean_text(q) for q in row["questions"]]
        entries.append(FaqEntry(row["id"], row["answer"], tuple(qs[:train_questions]),
                                tuple(qs[train_questions:])))
    return entries


def hand_written(config: TrainConfig) -> Iterator[Example]:
    """Every hand-written example, labelled from the file it sits in."""
    none: frozenset[str] = frozenset()
    for skill in config.skills:
        for text in _lines(DATA_DIR / "skills" / f"{skill}.txt"):
            yield Example(clean_text(text), skill=skill, safety=none)
    for label in config.safety_labels:
        for text in _lines(DATA_DIR / "safety" / f"{label}.txt"):
            yield Example(clean_text(text), safety=frozenset({label}))
    for text in _lines(DATA_DIR / "safety" / "none.txt"):  # hard negatives: edgy but benign
        yield Example(clean_text(text), safety=none)
    for emotion in config.emotions:
        for text in _lines(DATA_DIR / "emotion" / f"{emotion}.txt"):
            yield Example(clean_text(text), emotion=emotion)


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        log.warning("package %s not installed; skipping it", name)
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _chatterbot_first_lines(categories: list[str]) -> list[str]:
    root = _package_dir("chatterbot_corpus")
    out: list[str] = []
    if root is None:
        return out
    for cat in categories:
        data = yaml.safe_load((root / "data" / "english" / f"{cat}.yml").read_text("utf-8"))
        out += [str(conv[0]) for conv in data.get("conversations", []) if conv]
    return out


def _chitchat_openers() -> list[str]:
    root = _package_dir("chitchat_dataset")
    if root is None:
        return []
    data = json.loads((root / "dataset.json").read_text("utf-8"))
    out = []
    for conv in data.values():
        for turn in conv["messages"][:3]:
            text = " ".join(m["text"] for m in turn)
            if 12 <= len(text) <= 200:
                out.append(text)
    return out


def _davidson(path: Path) -> tuple[list[str], list[str]]:
    offensive: list[str] = []
    neither: list[str] = []
    if not path.is_file():
        log.warning("%s missing; abuse is learnt from hand-written examples only", path)
        return offensive, neither
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            (neither if row["class"] == "2" else offensive).append(row["tweet"])
    return offensive, neither


def external(config: TrainConfig, rng: random.Random) -> Iterator[Example]:
    """Samples of the packaged corpora and ../shared/data (train split only)."""
    ext = config.external
    none: frozenset[str] = frozenset()

    def sample(items: list[str], n: int) -> list[str]:
        items = sorted(set(items))
        return rng.sample(items, min(n, len(items)))

    def make(texts: list[str], **labels: object) -> Iterator[Example]:
        for text in texts:
            yield Example(clean_text(text), holdout=False, **labels)  # type: ignore[arg-type]

    yield from make(sample(_chitchat_openers(), ext.chitchat), skill="companion", safety=none,
                    source="chitchat")
    yield from make(sample(_chatterbot_first_lines(["greetings", "conversations", "emotion",
                                                    "psychology", "humor"]),
                           ext.chatterbot_companion), skill="companion", source="chatterbot")
    yield from make(sample(_chatterbot_first_lines(["tech_support", "coding", "computers"]),
                           ext.chatterbot_assistant), skill="assistant", safety=none,
                    emotion="neutral", source="chatterbot")
    gsm = ext.shared_data_dir / "tutoring" / "gsm8k_train.jsonl"
    if gsm.is_file():
        questions = [json.loads(ln)["question"] for ln in _lines(gsm)]
        yield from make(sample(questions, ext.gsm8k), skill="tutor", safety=none,
                        emotion="neutral", source="gsm8k")
    offensive, neither = _davidson(ext.shared_data_dir / "safety" / "davidson_offensive_train.csv")
    yield from make(sample(offensive, ext.davidson_offensive), safety=frozenset({"abuse"}),
                    source="davidson")
    yield from make(sample(neither, ext.davidson_neither), safety=none, source="davidson")


def build_dataset(config: TrainConfig,
                  extra_faq: Sequence[tuple[str, Sequence[str]]] = (),
                  extra: Sequence[Example] = ()) -> Dataset:
    """Collect, clean, dedupe and split everything for one training run.

    Args:
        config: the training config.
        extra_faq: the deployer's knowledge base as ``(entry id, questions)``; train split only
            (routing to ``faq`` and the contrastive retrieval task learn the deployer's domain).
        extra: more labelled examples for the train split only (consented 👍 feedback, see
            :mod:`workers.training.feedback`).
    """
    rng = random.Random(config.seed)
    faq = load_faq(train_questions=config.faq_train_questions)
    held_out_queries = {dedupe_key(q) for e in faq for q in e.query_questions}
    faq_examples = [Example(q, skill="faq", safety=frozenset(), emotion="neutral", group=e.id,
                            holdout=False, source="faq_kb")
                    for e in faq for q in e.train_questions]
    deployer = [Example(clean_text(q), skill="faq", safety=frozenset(), emotion="neutral",
                        group=f"deployer:{entry_id}", holdout=False, source="deployer_faq")
                for entry_id, questions in extra_faq for q in questions if q.strip()]
    extra = [replace(ex, holdout=False) for ex in extra]
    items = dedupe([*hand_written(config), *faq_examples, *deployer, *extra,
                    *external(config, rng)])
    items = [ex for ex in items if dedupe_key(ex.text) not in held_out_queries]
    train, val, test = stratified_split(items, config.seed, val=0.15, test=0.25)
    log.info("dataset: %d train, %d val, %d test, %d FAQ entries",
             len(train), len(val), len(test), len(faq))
    return Dataset(train, val, test, faq)
