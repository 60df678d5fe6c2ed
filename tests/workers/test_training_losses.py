"""The weighted multi-task loss: each wᵢ scales exactly its task's gradient contribution."""

from __future__ import annotations

import pytest
import torch

from workers.model.heads import Heads, HeadSpec
from workers.training import losses


def _setup() -> tuple[Heads, torch.Tensor, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    spec = HeadSpec(("companion", "tutor", "faq", "assistant"), ("abuse", "self_harm"),
                    ("neutral", "joy"), "test", dim=8, hidden=16, dropout=0.0)
    heads = Heads(spec)
    pooled = torch.randn(6, 8)
    targets = {
        "skill": torch.tensor([0, 1, -1, 3, -1, 2]),
        "safety": torch.tensor([[1.0, 0.0]] * 3 + [[0.0, 0.0]] * 3),
        "labelled": torch.tensor([True, True, True, False, False, True]),
        "emotion": torch.tensor([-1, -1, 0, 1, -1, -1]),
    }
    return heads, pooled, targets


def _grads(weights: dict[str, float]) -> dict[str, torch.Tensor]:
    heads, pooled, t = _setup()
    pooled = pooled.clone().requires_grad_(True)
    logits = heads(pooled)
    parts = {
        "skill": losses.masked_ce(logits["skill"], t["skill"]),
        "safety": losses.masked_bce(logits["safety"], t["safety"], t["labelled"]),
        "emotion": losses.masked_ce(logits["emotion"], t["emotion"]),
    }
    losses.weighted_total(parts, weights).backward()
    out = {name: p.grad.clone() for name, p in heads.named_parameters() if p.grad is not None}
    assert pooled.grad is not None
    out["pooled"] = pooled.grad.clone()
    return out


def test_weight_scales_only_its_own_head_gradient() -> None:
    base = _grads({"skill": 1.0, "safety": 1.0, "emotion": 1.0})
    doubled = _grads({"skill": 2.0, "safety": 1.0, "emotion": 1.0})
    skill_w = "skill.4.weight"
    assert torch.allclose(doubled[skill_w], 2 * base[skill_w], atol=1e-6)
    assert torch.allclose(doubled["safety.4.weight"], base["safety.4.weight"], atol=1e-7)
    assert torch.allclose(doubled["emotion.4.weight"], base["emotion.4.weight"], atol=1e-7)


def test_shared_input_gradient_is_the_weighted_sum_of_task_gradients() -> None:
    only = {task: _grads({task: 1.0})["pooled"] for task in ("skill", "safety", "emotion")}
    mixed = _grads({"skill": 0.5, "safety": 2.0, "emotion": 3.0})["pooled"]
    expected = 0.5 * only["skill"] + 2.0 * only["safety"] + 3.0 * only["emotion"]
    assert torch.allclose(mixed, expected, atol=1e-6)


def test_zero_weight_removes_the_task() -> None:
    grads = _grads({"skill": 1.0, "safety": 0.0, "emotion": 1.0})
    assert "safety.4.weight" not in grads


def test_masked_losses_ignore_unlabelled_rows() -> None:
    logits = torch.tensor([[5.0, 0.0], [0.0, 5.0], [9.0, -9.0]])
    full = losses.masked_ce(logits[:2], torch.tensor([0, 1]))
    masked = losses.masked_ce(logits, torch.tensor([0, 1, -1]))
    assert masked is not None and full is not None
    assert torch.allclose(masked, full)
    assert losses.masked_ce(logits, torch.tensor([-1, -1, -1])) is None
    with pytest.raises(ValueError):
        losses.weighted_total({"skill": None}, {"skill": 1.0})


def test_info_nce_prefers_matching_pairs() -> None:
    a = torch.eye(4)
    good = losses.info_nce(a, a.clone(), temperature=0.1)
    bad = losses.info_nce(a, a.roll(1, dims=0), temperature=0.1)
    assert float(good) < 0.01 < float(bad)
