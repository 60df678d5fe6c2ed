"""The multi-task loss L = Σ wᵢ·Lᵢ, each Lᵢ averaged over the examples labelled for task i."""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F


def masked_ce(logits: torch.Tensor, target: torch.Tensor,
              weight: torch.Tensor | None = None) -> torch.Tensor | None:
    """Cross-entropy over rows whose target is ≥ 0 (−1 = not labelled); None if none are.

    ``weight`` holds optional per-class weights (class balancing).
    """
    keep = target >= 0
    if not bool(keep.any()):
        return None
    return F.cross_entropy(logits[keep], target[keep], weight=weight)


def masked_bce(logits: torch.Tensor, target: torch.Tensor, labelled: torch.Tensor,
               pos_weight: torch.Tensor | None = None) -> torch.Tensor | None:
    """Multi-label BCE over rows with ``labelled`` true; None if none are."""
    if not bool(labelled.any()):
        return None
    return F.binary_cross_entropy_with_logits(logits[labelled], target[labelled],
                                              pos_weight=pos_weight)


def info_nce(anchors: torch.Tensor, positives: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric in-batch contrastive loss: row i of ``anchors`` matches row i of ``positives``."""
    a, p = F.normalize(anchors, dim=-1), F.normalize(positives, dim=-1)
    logits = a @ p.T / temperature
    labels = torch.arange(len(a), device=a.device)
    return (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels)) / 2


def distill(embeddings: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """1 − cosine to the untuned trunk's embedding: keeps general retrieval (memory) intact."""
    return (1 - F.cosine_similarity(embeddings, reference, dim=-1)).mean()


def weighted_total(parts: Mapping[str, torch.Tensor | None],
                   weights: Mapping[str, float]) -> torch.Tensor:
    """Σ wᵢ·Lᵢ over the tasks present in this batch (missing or zero-weight tasks are skipped).

    Raises:
        ValueError: no task contributes.
    """
    terms = [weights.get(name, 0.0) * loss for name, loss in parts.items()
             if loss is not None and weights.get(name, 0.0) != 0.0]
    if not terms:
        raise ValueError("no task contributes to the loss")
    total: torch.Tensor = torch.stack(terms).sum()
    return total
