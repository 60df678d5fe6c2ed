"""Device and dtype choice: ``auto|cpu|cuda|cuda:N|mps``, bf16 on CUDA."""

from __future__ import annotations

import logging
import os

import torch

from botcore.errors import ConfigError

log = logging.getLogger(__name__)


def apply_thread_setting() -> None:
    """Honour ``BOTCORE_TORCH_THREADS`` (CPU threads for torch; unset = torch's default).

    On a busy 2-core machine one thread decodes ~2x faster than two (no spin-wait contention).
    """
    value = os.environ.get("BOTCORE_TORCH_THREADS", "").strip()
    if not value:
        return
    try:
        torch.set_num_threads(max(1, int(value)))
    except ValueError as exc:
        raise ConfigError(f"BOTCORE_TORCH_THREADS must be an integer, got {value!r}") from exc
    log.info("torch uses %d CPU threads", torch.get_num_threads())


def resolve_device(name: str) -> torch.device:
    """Map a ``BOTCORE_DEVICE`` value to a torch device.

    Args:
        name: ``auto`` picks CUDA when available, else the CPU.

    Raises:
        ConfigError: CUDA was asked for but is not available.
    """
    value = (name or "auto").strip().lower()
    if value == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if value.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"BOTCORE_DEVICE={name} but CUDA is not available")
    if value == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("BOTCORE_DEVICE=mps but MPS is not available")
    return torch.device(value)


def preferred_dtype(device: torch.device) -> torch.dtype:
    """bf16 on CUDA (when supported), fp32 elsewhere (bf16 is slower on this kind of CPU)."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32
