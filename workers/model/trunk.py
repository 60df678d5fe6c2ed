"""The shared encoder trunk, split in two: a frozen lower part and the top ``k`` trainable layers.

Training precomputes the lower part once; serving runs both parts in one pass. Both use the same
code path, so a trained checkpoint serves exactly as it was evaluated.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from botcore.errors import ConfigError
from workers.model.sources import ModelSource

log = logging.getLogger(__name__)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mask-aware mean over tokens (the pooling all-MiniLM-L6-v2 was trained with)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-6)


class TopLayers(nn.Module):
    """The top ``k`` transformer layers of a BERT-like encoder, runnable on hidden states."""

    def __init__(self, layers: Sequence[nn.Module]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Run the layers; ``mask`` is the 0/1 attention mask (batch, tokens)."""
        additive = (1.0 - mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
        for layer in self.layers:
            out = layer(hidden, additive)
            hidden = out[0] if isinstance(out, tuple) else out
        return hidden


class Trunk:
    """Tokenizer + lower encoder (frozen) + top layers (trainable, replaceable from a checkpoint).

    Attributes:
        name: the encoder's stable name (recorded in checkpoints).
        dim: the hidden size.
        top: the trainable top layers; ``top_original`` keeps the untouched copy for baselines.
    """

    def __init__(self, name: str, tokenizer: Any, model: nn.Module, k: int,
                 device: torch.device, max_length: int = 128) -> None:
        self.name, self.tokenizer, self.device, self.max_length = name, tokenizer, device, max_length
        layers = _layer_list(model)
        if not 0 <= k <= len(layers):
            raise ConfigError(f"cannot train {k} layers of a {len(layers)}-layer encoder")
        self.k = k
        self.dim = int(model.config.hidden_size)  # type: ignore[union-attr,arg-type]
        top = list(layers[len(layers) - k :]) if k else []
        model.encoder.layer = nn.ModuleList(layers[: len(layers) - k])  # type: ignore[union-attr]
        self.lower = model.to(device).eval()
        self.top: nn.Module = TopLayers(top).to(device).eval()
        self.top_original: nn.Module = copy.deepcopy(self.top)
        for p in [*self.lower.parameters(), *self.top_original.parameters()]:
            p.requires_grad_(False)

    @classmethod
    def load(cls, source: ModelSource, device: torch.device, k: int = 1,
             max_length: int = 128) -> Trunk:
        """Load a BERT-like encoder (MiniLM, BERT, RoBERTa, MPNet …) by HF id or folder.

        Any configured encoder, the bundled sentence encoders and the hybrid included, loads
        through :func:`workers.model.trunk_loader.load_trunk`.

        Raises:
            ConfigError: the model cannot be loaded or is not layered like BERT.
        """
        from transformers import AutoModel, AutoTokenizer

        started = time.perf_counter()
        local = Path(source.location).is_dir()
        try:
            tokenizer = AutoTokenizer.from_pretrained(source.location, local_files_only=local)
            model = AutoModel.from_pretrained(source.location, local_files_only=local)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load encoder {source.name!r}: {exc}") from exc
        trunk = cls(source.name, tokenizer, model, k, device, max_length)
        log.info("encoder %s loaded in %.1f s", source.name, time.perf_counter() - started)
        return trunk

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        """Tokenize with padding and truncation to ``max_length``, on the trunk's device."""
        batch = self.tokenizer(list(texts), padding=True, truncation=True,
                               max_length=self.max_length, return_tensors="pt")
        return {key: value.to(self.device) for key, value in batch.items()}

    @torch.inference_mode()
    def lower_states(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden states after the frozen layers, and the attention mask."""
        batch = self.tokenize(texts)
        hidden = self.lower(**batch).last_hidden_state
        return hidden, batch["attention_mask"]

    def pooled(self, hidden: torch.Tensor, mask: torch.Tensor, original: bool = False
               ) -> torch.Tensor:
        """Run the top layers (tuned, or the original ones) and mean-pool."""
        top = self.top_original if original else self.top
        return mean_pool(top(hidden, mask), mask)


def _layer_list(model: nn.Module) -> nn.ModuleList:
    encoder = getattr(model, "encoder", None)
    layers = getattr(encoder, "layer", None)
    if not isinstance(layers, nn.ModuleList):
        raise ConfigError(f"{type(model).__name__} has no encoder.layer list (not BERT-like)")
    return layers
