"""Convert a GGUF generator once into a safetensors folder in the data dir, atomically.

transformers de-quantizes GGUF weights to fp32 on every load (~15–20 s here); the converted copy
reloads in ~2 s with identical logits. ``save_pretrained`` refuses a GGUF-loaded model because the
quantizer marker stays attached, so we detach it before saving.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from botcore.errors import InferenceError
from workers.model.sources import ModelSource

log = logging.getLogger(__name__)

_MARKER = "botcore-converted.txt"


def cache_dir_for(source: ModelSource, data_dir: Path) -> Path:
    """The folder that holds (or will hold) the converted copy of a GGUF source."""
    assert source.gguf_file is not None
    gguf = Path(source.location) / source.gguf_file
    stat = gguf.stat()
    key = hashlib.sha256(f"{gguf.resolve()}|{stat.st_size}".encode()).hexdigest()[:12]
    return data_dir / "models" / "generator" / f"{gguf.stem}-{key}"


def is_converted(folder: Path) -> bool:
    """True when ``folder`` holds a complete converted model."""
    return (folder / _MARKER).is_file() and (folder / "config.json").is_file()


def convert_gguf(source: ModelSource, data_dir: Path) -> Path:
    """Convert ``source`` (a GGUF) into safetensors under ``data_dir`` unless already done.

    The copy is written into a temporary sibling folder and renamed into place, so a crash or a
    concurrent worker never leaves a half-written model behind.

    Returns:
        The folder of the converted model, loadable with ``from_pretrained``.

    Raises:
        InferenceError: the conversion failed.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target = cache_dir_for(source, data_dir)
    if is_converted(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(source.location, gguf_file=source.gguf_file)
        model = AutoModelForCausalLM.from_pretrained(source.location, gguf_file=source.gguf_file)
        model.hf_quantizer = None  # type: ignore[assignment]
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / _MARKER).write_text(f"from {source.gguf_file}\n", encoding="utf-8")
        try:
            os.replace(tmp, target)
        except OSError:
            if not is_converted(target):  # someone else won the race only if target is complete
                raise
    except Exception as exc:
        raise InferenceError(f"converting {source.gguf_file} failed: {exc}") from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    log.info("converted %s to %s in %.1f s", source.gguf_file, target, time.perf_counter() - started)
    return target
