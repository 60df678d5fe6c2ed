"""Collect training data: hand-written examples, the FAQ knowledge base and packaged corpora.

Hand-written examples (``workers/assets/data`` in English, ``workers/assets/data/zh`` in Chinese)
are the only ones split into val/test, each language on its own (so adding Chinese leaves the
English split as it was); external corpora are sampled into the train split only (their numbers
would not be held-out results), except the evaluation sets of :func:`eval_sets`, which are kept
out of training: the COLD held-out file and the held-out chitchat conversations.

Every corpus ships in the repository (``workers/assets/data/external``, licences beside the files)
or in a PyPI package (``chitchat-dataset``, ``chatterbot-corpus``).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import logging
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from workers.training.config import TrainConfig
from workers.training.examples import Example
from workers.training.preprocess import clean_text, dedupe, dedupe_key, stratified_split

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parents[1] / "assets" / "data"
ZH_DIR = DATA_DIR / "zh"
EXTERNAL_DIR = DATA_DIR / "external"
CHITCHAT_HELDOUT_EVERY = 10
"""Every 10th chitchat conversation (by sorted id) is held out as real small talk for evaluation."""
ZH_COMPANION_CATEGORIES = ("greetings", "conversations", "emotion", "psychology", "humor",
                           "food", "gossip", "movies", "sports", "literature")


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
    faq_zh: list[FaqEntry] = field(default_factory=list)


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


def _optional_lines(path: Path) -> list[str]:
    return _lines(path) if path.is_file() else []


def hand_written(config: TrainConfig, lang: str = "en") -> Iterator[Example]:
    """Every hand-written example of one language, labelled from the file it sits in."""
    root = DATA_DIR if lang == "en" else ZH_DIR
    none: frozenset[str] = frozenset()
    for skill in config.skills:
        for text in _optional_lines(root / "skills" / f"{skill}.txt"):
            yield Example(clean_text(text), skill=skill, safety=none, lang=lang)
    for label in config.safety_labels:
        for text in _optional_lines(root / "safety" / f"{label}.txt"):
            yield Example(clean_text(text), safety=frozenset({label}), lang=lang)
    for text in _optional_lines(root / "safety" / "none.txt"):  # hard negatives: edgy, benign
        yield Example(clean_text(text), safety=none, lang=lang)
    for emotion in config.emotions:
        for text in _optional_lines(root / "emotion" / f"{emotion}.txt"):
            yield Example(clean_text(text), emotion=emotion, lang=lang)


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        log.warning("package %s not installed; skipping it", name)
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _chatterbot_first_lines(categories: Sequence[str], language: str = "english",
                            every_line: bool = False) -> list[str]:
    root = _package_dir("chatterbot_corpus")
    out: list[str] = []
    if root is None:
        return out
    for cat in categories:
        path = root / "data" / language / f"{cat}.yml"
        if not path.is_file():
            continue
        data = yaml.safe_load(path.read_text("utf-8"))
        for conv in data.get("conversations", []) or []:
            lines = [str(x) for x in conv] if every_line else [str(conv[0])] if conv else []
            out += lines
    return out


def _chatterbot_zh(held_out: bool) -> list[str]:
    """Chinese chatterbot-corpus small talk; every 5th distinct line is held out for evaluation."""
    lines = sorted({clean_text(t) for t in _chatterbot_first_lines(
        ZH_COMPANION_CATEGORIES, "chinese", every_line=True) if len(t.strip()) >= 2})
    return [t for i, t in enumerate(lines) if (i % 5 == 0) == held_out]


def _chitchat_conversations() -> list[tuple[str, list[str]]]:
    """Every chitchat-dataset conversation as (id, its messages), sorted by id."""
    root = _package_dir("chitchat_dataset")
    if root is None:
        return []
    data = json.loads((root / "dataset.json").read_text("utf-8"))
    return [(key, [" ".join(m["text"] for m in turn) for turn in data[key]["messages"]])
            for key in sorted(data)]


def _chitchat(held_out: bool, turns: int = 3) -> list[str]:
    """Small-talk messages: the first ``turns`` messages of the train (or held-out) conversations."""
    out = []
    for n, (_, messages) in enumerate(_chitchat_conversations()):
        if (n % CHITCHAT_HELDOUT_EVERY == 0) != held_out:
            continue
        out += [text for text in messages[:turns] if 12 <= len(text) <= 200]
    return out


def read_davidson(path: Path) -> tuple[list[str], list[str]]:
    offensive: list[str] = []
    neither: list[str] = []
    if not path.is_file():
        log.warning("%s missing; abuse is learnt from hand-written examples only", path)
        return offensive, neither
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            (neither if row["class"] == "2" else offensive).append(row["tweet"])
    return offensive, neither


def read_cold(path: Path) -> list[tuple[str, bool]]:
    """COLD rows as (text, offensive)."""
    if not path.is_file():
        log.warning("%s missing; Chinese abuse is learnt from hand-written examples only", path)
        return []
    with path.open(encoding="utf-8") as fh:
        return [(row["text"], row["label"] == "1") for row in csv.DictReader(fh)]


def external_dir(config: TrainConfig) -> Path:
    """The folder of the shipped corpus samples."""
    return config.external.data_dir or EXTERNAL_DIR


def external(config: TrainConfig, rng: random.Random) -> Iterator[Example]:
    """Samples of the shipped and packaged corpora (train split only)."""
    ext = config.external
    root = external_dir(config)
    none: frozenset[str] = frozenset()

    def sample(items: list[str], n: int) -> list[str]:
        items = sorted(set(items))
        return rng.sample(items, min(n, len(items)))

    def make(texts: list[str], **labels: object) -> Iterator[Example]:
        for text in texts:
            yield Example(clean_text(text), holdout=False, **labels)  # type: ignore[arg-type]

    yield from make(sample(_chitchat(held_out=False), ext.chitchat), skill="companion",
                    safety=none, source="chitchat")
    yield from make(sample(_chatterbot_first_lines(["greetings", "conversations", "emotion",
                                                    "psychology", "humor"]),
                           ext.chatterbot_companion), skill="companion", source="chatterbot")
    yield from make(sample(_chatterbot_first_lines(["tech_support", "coding", "computers"]),
                           ext.chatterbot_assistant), skill="assistant", safety=none,
                    emotion="neutral", source="chatterbot")
    for text in sample(_chatterbot_zh(held_out=False), ext.chatterbot_zh_companion):
        yield Example(clean_text(text), skill="companion", holdout=False, source="chatterbot_zh",
                      lang="zh")
    gsm = root / "gsm8k_questions.jsonl"
    if gsm.is_file():
        questions = [json.loads(ln)["question"] for ln in _lines(gsm)]
        yield from make(sample(questions, ext.gsm8k), skill="tutor", safety=none,
                        emotion="neutral", source="gsm8k")
    offensive, neither = read_davidson(root / "davidson_sample.csv")
    yield from make(sample(offensive, ext.davidson_offensive), safety=frozenset({"abuse"}),
                    source="davidson")
    yield from make(sample(neither, ext.davidson_neither), safety=none, source="davidson")
    for i, (text, bad) in enumerate(cold_train_rows(config)):
        yield Example(clean_text(text), safety=frozenset({"abuse"}) if bad else none,
                      skill="companion" if i < ext.cold_companion else None,
                      holdout=False, source="cold", lang="zh")


def _cold_split(config: TrainConfig) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    rows = read_cold(external_dir(config) / "cold_train.csv")
    random.Random(config.seed).shuffle(rows)
    ext = config.external
    return rows[ext.cold_val : ext.cold_val + ext.cold], rows[: ext.cold_val]


def cold_train_rows(config: TrainConfig) -> list[tuple[str, bool]]:
    """The COLD comments trained on (after the validation rows, ``external.cold`` of them)."""
    return _cold_split(config)[0]


def cold_val_rows(config: TrainConfig) -> list[Example]:
    """COLD comments for validation: the Chinese abuse threshold and the epoch choice."""
    none: frozenset[str] = frozenset()
    return [Example(clean_text(t), safety=frozenset({"abuse"}) if bad else none, source="cold",
                    lang="zh") for t, bad in _cold_split(config)[1]]


def eval_sets(config: TrainConfig) -> dict[str, list[Example]]:
    """Evaluation sets never trained on, beside the hand-written test split.

    - ``cold_heldout``: 2,000 real Chinese comments (COLD), offensive → abuse; the safe ones
      also measure how many ordinary Chinese comments the router sends to the tutor;
    - ``smalltalk_en``: real small talk from the held-out chitchat-dataset conversations,
      every one labelled companion; ``smalltalk_zh``: held-out Chinese chatterbot-corpus lines;
    - ``maths_zh``: Chinese maths word problems written for evaluation only, labelled tutor.
    """
    none: frozenset[str] = frozenset()
    cold = [Example(clean_text(t), safety=frozenset({"abuse"}) if bad else none, source="cold",
                    lang="zh") for t, bad in read_cold(external_dir(config) / "cold_heldout.csv")]
    rng = random.Random(config.seed)
    seen = {dedupe_key(clean_text(t)) for t in _chitchat(held_out=False, turns=3)}
    talk = sorted({clean_text(t) for t in _chitchat(held_out=True, turns=3)
                   if dedupe_key(clean_text(t)) not in seen and len(clean_text(t)) >= 12})
    talk = rng.sample(talk, min(500, len(talk)))
    maths = _optional_lines(ZH_DIR / "eval" / "maths_word_problems.txt")
    return {"cold_heldout": cold,
            "smalltalk_en": [Example(clean_text(t), skill="companion", source="chitchat")
                             for t in talk],
            "smalltalk_zh": [Example(t, skill="companion", source="chatterbot_zh", lang="zh")
                             for t in _chatterbot_zh(held_out=True)],
            "maths_zh": [Example(clean_text(t), skill="tutor", lang="zh") for t in maths]}


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
    zh_kb = ZH_DIR / "faq_kb.jsonl"
    faq_zh = load_faq(zh_kb, config.faq_train_questions) if zh_kb.is_file() else []
    held_out_queries = {dedupe_key(q) for e in (*faq, *faq_zh) for q in e.query_questions}
    faq_examples = [Example(q, skill="faq", safety=frozenset(), emotion="neutral", group=e.id,
                            holdout=False, source="faq_kb", lang=lang)
                    for lang, kb in (("en", faq), ("zh", faq_zh))
                    for e in kb for q in e.train_questions]
    deployer = [Example(clean_text(q), skill="faq", safety=frozenset(), emotion="neutral",
                        group=f"deployer:{entry_id}", holdout=False, source="deployer_faq")
                for entry_id, questions in extra_faq for q in questions if q.strip()]
    extra = [replace(ex, holdout=False) for ex in extra]
    items = dedupe([*hand_written(config), *hand_written(config, "zh"), *faq_examples,
                    *deployer, *extra, *external(config, rng)])
    items = [ex for ex in items if dedupe_key(ex.text) not in held_out_queries]
    held_out_eval = {dedupe_key(e.text) for e in cold_val_rows(config)}
    held_out_eval |= {dedupe_key(t) for t, _ in read_cold(external_dir(config) / "cold_heldout.csv")}
    items = [ex for ex in items if ex.source != "cold" or dedupe_key(ex.text) not in held_out_eval]
    train, val, test = stratified_split([e for e in items if e.lang != "zh" or not e.holdout],
                                        config.seed, val=0.15, test=0.25)
    train_zh, val_zh, test_zh = stratified_split(
        [e for e in items if e.lang == "zh" and e.holdout], config.seed, val=0.15, test=0.25)
    train += train_zh
    val += val_zh + cold_val_rows(config)
    test += test_zh
    log.info("dataset: %d train, %d val, %d test, %d + %d FAQ entries",
             len(train), len(val), len(test), len(faq), len(faq_zh))
    return Dataset(train, val, test, faq, faq_zh)
