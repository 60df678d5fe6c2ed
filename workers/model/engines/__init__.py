"""Generation engines behind one seam (see :mod:`workers.model.engines.base`).

``BOTCORE_GENERATOR_ENGINE`` picks one: ``llamacpp`` (GGUF through xllamacpp, the CPU default),
``transformers`` (any Hugging Face causal or seq2seq model, LoRA, training), ``openai`` (any
OpenAI-compatible server at ``BOTCORE_GENERATOR_URL``), ``vllm`` (in-process, GPU) or ``auto``:
``openai`` when a URL is set, else ``llamacpp`` when the generator is a GGUF file and the
device is a CPU, else ``transformers``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from botcore.config import Settings
from botcore.errors import ConfigError
from workers.model.engines.base import ENGINES, GenerationEngine
from workers.model.sources import generator_source

if TYPE_CHECKING:
    from workers.model.generator import Generator


class GeneratorOwner(Protocol):
    """What the ``transformers`` engine needs from a model service (typed here rather than by
    importing :class:`workers.model.service.ModelService`, which imports this package)."""

    @property
    def generator(self) -> Generator:
        """The loaded generator (loaded on first access)."""
        ...

__all__ = ["ENGINES", "GenerationEngine", "GeneratorOwner", "create_engine", "gguf_path", "resolve_engine"]


def gguf_path(settings: Settings) -> Path | None:
    """The generator's GGUF file, when the configured generator is one."""
    source = generator_source(settings.generator_model)
    if source.gguf_file:
        return Path(source.location) / source.gguf_file
    return None


def _cpu(settings: Settings) -> bool:
    if settings.device == "cpu":
        return True
    if settings.device != "auto":
        return False
    from workers.model.devices import resolve_device

    return resolve_device("auto").type == "cpu"


def resolve_engine(settings: Settings) -> str:
    """The engine ``BOTCORE_GENERATOR_ENGINE`` means for these settings (``auto`` resolved)."""
    name = settings.generator_engine
    if name != "auto":
        return name
    if settings.generator_url:
        return "openai"
    if gguf_path(settings) is not None and _cpu(settings):
        return "llamacpp"
    return "transformers"


def _standalone_generator(settings: Settings) -> Any:
    """A loader of the configured generator alone (no encoder), loaded once on first call."""
    import threading

    lock = threading.Lock()
    loaded: list[Any] = []

    def load() -> Any:
        with lock:
            if not loaded:
                from workers.model.devices import resolve_device
                from workers.model.generator import Generator

                loaded.append(Generator.load(generator_source(settings.generator_model),
                                             resolve_device(settings.device), settings.data_dir))
            return loaded[0]
    return load


def create_engine(settings: Settings, service: GeneratorOwner | None = None,
                  name: str | None = None, **overrides: Any) -> GenerationEngine:
    """Build (not start) the configured engine.

    Args:
        settings: ``generator_*`` settings.
        service: the model service whose generator the ``transformers`` engine drives.
        name: an engine name instead of the configured one.
        overrides: engine arguments that win over the settings (``slots``, ``threads``).

    Raises:
        ConfigError: the engine cannot serve this configuration.
    """
    name = name or resolve_engine(settings)
    slots = int(overrides.pop("slots", settings.generator_slots))
    if name == "llamacpp":
        from workers.model.engines.llamacpp import LlamaCppEngine

        gguf = gguf_path(settings)
        if gguf is None:
            raise ConfigError("BOTCORE_GENERATOR_ENGINE=llamacpp needs a GGUF generator "
                              "(BOTCORE_GENERATOR_MODEL=/path/to/model.gguf or the bundled one)")
        return LlamaCppEngine(gguf, settings.generator_model or gguf.name, slots=slots,
                              ctx=int(overrides.pop("ctx", settings.generator_ctx)),
                              threads=int(overrides.pop("threads", settings.generator_threads)))
    if name == "transformers":
        from workers.model.engines.transformers import TransformersEngine

        if service is not None:
            svc = service
            return TransformersEngine(lambda: svc.generator, slots=slots)
        return TransformersEngine(_standalone_generator(settings), slots=slots)
    if name == "openai":
        if not settings.generator_url:
            raise ConfigError("BOTCORE_GENERATOR_ENGINE=openai needs BOTCORE_GENERATOR_URL")
        from workers.model.engines.openai import OpenAIEngine

        key = settings.generator_api_key.get_secret_value() if settings.generator_api_key \
            else None
        return OpenAIEngine(settings.generator_url, model=settings.generator_model or "default",
                            api_key=key, slots=slots, timeout_s=settings.reply_timeout_s,
                            ctx=settings.generator_ctx)
    if name == "vllm":
        from workers.model.engines.vllm import VLLMEngine

        return VLLMEngine(settings.generator_model or "HuggingFaceTB/SmolLM2-135M-Instruct",
                          slots=slots, ctx=settings.generator_ctx)
    raise ConfigError(f"unknown generator engine {name!r} (choose one of {', '.join(ENGINES)})")
