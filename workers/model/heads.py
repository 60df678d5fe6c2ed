"""The task heads on the pooled trunk output, and their checkpoint format.

A checkpoint is a folder with ``heads.json`` (the :class:`HeadSpec`, training metadata and
metrics) and ``heads.safetensors`` (head weights, plus the tuned top trunk layers under
``trunk.``, stored in fp16 to stay small).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from botcore.errors import ConfigError

SPEC_FILE = "heads.json"
WEIGHTS_FILE = "heads.safetensors"


@dataclass(frozen=True, slots=True)
class HeadSpec:
    """What the heads predict and which trunk they were trained on."""

    skills: tuple[str, ...]
    safety_labels: tuple[str, ...]
    emotions: tuple[str, ...]
    encoder: str
    dim: int
    trainable_layers: int = 1
    hidden: int = 256
    dropout: float = 0.1
    max_length: int = 128
    safety_thresholds: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HeadSpec:
        """Build from ``heads.json``'s ``spec`` object."""
        values = dict(data)
        for key in ("skills", "safety_labels", "emotions"):
            values[key] = tuple(values[key])
        return cls(**values)


def _mlp(dim: int, hidden: int, out: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Dropout(dropout), nn.Linear(dim, hidden), nn.GELU(),
                         nn.Dropout(dropout), nn.Linear(hidden, out))


class Heads(nn.Module):
    """Skill (softmax), safety (multi-label sigmoid) and emotion (softmax) heads."""

    def __init__(self, spec: HeadSpec) -> None:
        super().__init__()
        self.spec = spec
        self.skill = _mlp(spec.dim, spec.hidden, len(spec.skills), spec.dropout)
        self.safety = _mlp(spec.dim, spec.hidden, len(spec.safety_labels), spec.dropout)
        self.emotion = _mlp(spec.dim, spec.hidden, len(spec.emotions), spec.dropout)

    def forward(self, pooled: torch.Tensor) -> dict[str, torch.Tensor]:
        """Logits of every head for a batch of pooled trunk outputs."""
        return {"skill": self.skill(pooled), "safety": self.safety(pooled),
                "emotion": self.emotion(pooled)}


def save_checkpoint(folder: Path, heads: Heads, top: nn.Module, meta: dict[str, Any]) -> None:
    """Write ``heads.json`` and ``heads.safetensors`` into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {f"heads.{k}": v.detach().float().contiguous().cpu()
               for k, v in heads.state_dict().items()}
    tensors |= {f"trunk.{k}": v.detach().half().contiguous().cpu()
                for k, v in top.state_dict().items()}
    save_file(tensors, str(folder / WEIGHTS_FILE))
    doc = {"spec": asdict(heads.spec), **meta}
    (folder / SPEC_FILE).write_text(json.dumps(doc, indent=2, sort_keys=True), encoding="utf-8")


def read_meta(folder: Path) -> dict[str, Any]:
    """The parsed ``heads.json`` of a checkpoint.

    Raises:
        ConfigError: the folder is not a checkpoint.
    """
    try:
        data: dict[str, Any] = json.loads((folder / SPEC_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{folder} is not a heads checkpoint: {exc}") from exc
    return data


def load_checkpoint(folder: Path, top: nn.Module, device: torch.device
                    ) -> tuple[Heads, dict[str, Any]]:
    """Load heads (and the tuned top layers into ``top``) from ``folder``.

    Raises:
        ConfigError: the checkpoint is missing or does not fit the trunk.
    """
    meta = read_meta(folder)
    spec = HeadSpec.from_dict(meta["spec"])
    heads = Heads(spec)
    try:
        tensors = load_file(str(folder / WEIGHTS_FILE))
        heads.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("heads.")})
        trunk_state = {k[6:]: v.float() for k, v in tensors.items() if k.startswith("trunk.")}
        if trunk_state:
            top.load_state_dict(trunk_state)
    except (OSError, RuntimeError) as exc:
        raise ConfigError(f"checkpoint {folder} does not fit this trunk: {exc}") from exc
    return heads.to(device).eval(), meta
