"""The understanding side: trunk + heads, all heads from one forward pass."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from botcore.config import SKILLS
from botcore.errors import ConfigError
from botcore.inference.payloads import Understanding
from workers.model.heads import Heads, HeadSpec, load_checkpoint, read_meta
from workers.model.sources import ModelSource
from workers.model.trunk import Trunk
from workers.model.trunk_loader import load_trunk
from workers.training.preprocess import clean_text

log = logging.getLogger(__name__)

_BATCH = 64


@dataclass(frozen=True, slots=True)
class HeadOutputs:
    """Probabilities of every head for a batch, plus unit-length embeddings."""

    skill: torch.Tensor
    safety: torch.Tensor
    emotion: torch.Tensor
    embedding: torch.Tensor


class Encoder:
    """A trunk with its heads; thread-unsafe (the service holds a lock around it)."""

    def __init__(self, trunk: Trunk, heads: Heads, meta: dict[str, Any] | None = None) -> None:
        self.trunk, self.heads, self.meta = trunk, heads.to(trunk.device).eval(), meta or {}
        self.spec: HeadSpec = heads.spec
        self.language_offsets: dict[str, dict[str, float]] = dict(
            self.meta.get("language_offsets") or {})
        """Per-language safety logit offsets (``{"zh": {"abuse": 0.3}}``), calibrated so that 0.5
        is every language's decision point; added for texts detected in that language."""

    def _offsets(self, texts: Sequence[str]) -> torch.Tensor | None:
        if not self.language_offsets:
            return None
        from botcore.i18n import detect_language

        labels = self.spec.safety_labels
        rows = [[self.language_offsets.get(detect_language(t) or "en", {}).get(label, 0.0)
                 for label in labels] for t in texts]
        return torch.tensor(rows, device=self.trunk.device)

    @classmethod
    def load(cls, source: ModelSource, device: torch.device, checkpoint: Path | None) -> Encoder:
        """Load the trunk and, when ``checkpoint`` fits it, the trained heads.

        Untrained heads (uniform-ish scores) are used, with a warning, when no checkpoint fits:
        shipped heads belong to the encoder they were trained on.
        """
        if checkpoint is not None:
            spec = HeadSpec.from_dict(read_meta(checkpoint)["spec"])
            if spec.encoder == source.name:
                trunk = load_trunk(source, device, spec.trainable_layers, spec.max_length)
                heads, meta = load_checkpoint(checkpoint, trunk.top, device)
                return cls(trunk, heads, meta)
            log.warning("heads in %s were trained on %s, not %s: run `botctl model train`",
                        checkpoint, spec.encoder, source.name)
        trunk = load_trunk(source, device, 0)
        spec = HeadSpec(SKILLS, ("abuse", "self_harm", "sexual", "prompt_injection"),
                        ("neutral",), source.name, trunk.dim, trainable_layers=0)
        torch.manual_seed(0)
        return cls(trunk, Heads(spec), {"untrained": True})

    @torch.inference_mode()
    def outputs(self, texts: Sequence[str], original_trunk: bool = False,
                with_offsets: bool = True) -> HeadOutputs:
        """Run trunk and heads once over ``texts`` (in batches of 64).

        ``with_offsets`` adds the per-language safety offsets (off only while calibrating them).
        """
        if not texts:
            raise ConfigError("no texts")
        parts: list[HeadOutputs] = []
        for start in range(0, len(texts), _BATCH):
            chunk = [clean_text(t) or " " for t in texts[start : start + _BATCH]]
            hidden, mask = self.trunk.lower_states(chunk)
            pooled = self.trunk.pooled(hidden, mask, original=original_trunk)
            logits = self.heads(pooled)
            safety = logits["safety"]
            offsets = self._offsets(chunk) if with_offsets else None
            if offsets is not None:
                safety = safety + offsets
            parts.append(HeadOutputs(
                logits["skill"].softmax(-1), safety.sigmoid(),
                logits["emotion"].softmax(-1), F.normalize(pooled, dim=-1)))
        return HeadOutputs(*(torch.cat([getattr(p, f) for p in parts]).float().cpu()
                             for f in ("skill", "safety", "emotion", "embedding")))

    def understand(self, texts: Sequence[str], with_embedding: bool = False,
                   version: str | None = None) -> list[Understanding]:
        """Every head's answer for each text, from one trunk pass."""
        out = self.outputs(texts)
        spec = self.spec
        result = []
        for i in range(len(texts)):
            scores = dict(zip(spec.skills, out.skill[i].tolist(), strict=True))
            emotions = dict(zip(spec.emotions, out.emotion[i].tolist(), strict=True))
            result.append(Understanding(
                skill=max(scores, key=scores.__getitem__),
                scores=scores,
                safety=dict(zip(spec.safety_labels, out.safety[i].tolist(), strict=True)),
                emotion=max(emotions, key=emotions.__getitem__),
                emotions=emotions,
                embedding=out.embedding[i].tolist() if with_embedding else None,
                model_version=version,
            ))
        return result

    def embed(self, texts: Sequence[str], original_trunk: bool = False) -> list[list[float]]:
        """Unit-length retrieval embeddings."""
        if not texts:
            return []
        emb: list[list[float]] = self.outputs(texts, original_trunk).embedding.tolist()
        return emb
