"""Joint multi-task fine-tuning of the top trunk layers and the heads.

The frozen lower trunk runs once over every text (precomputed features); each step then runs the
trainable top layers and all heads, and minimises L = Σ wᵢ·Lᵢ over skill, safety, emotion,
contrastive (FAQ paraphrases) and distillation (stay close to the untuned embedding).
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from workers.evaluation.heads_eval import evaluate_heads, selection_score
from workers.evaluation.retrieval import evaluate_retrieval
from workers.model.encoder import Encoder
from workers.model.heads import Heads, HeadSpec, save_checkpoint
from workers.model.sentence_trunk import use_cache
from workers.model.sources import encoder_source
from workers.model.trunk import Trunk
from workers.model.trunk_loader import load_trunk
from workers.training import losses
from workers.training.config import TrainConfig
from workers.training.data import Dataset, build_dataset
from workers.training.examples import Example

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TrainResult:
    """Where the trained checkpoint went and what it scored on the held-out split."""

    path: Path
    metrics: dict[str, Any]
    seconds: float


def trunk_param_groups(top: torch.nn.Module, config: TrainConfig) -> list[dict[str, Any]]:
    """Optimizer groups of the trainable trunk: transformer layers at ``lr_trunk``, a shared
    layer on a sentence vector at ``lr_shared``."""
    from workers.model.sentence_trunk import HybridTop, SharedLayer

    if isinstance(top, SharedLayer):
        return [{"params": list(top.parameters()), "lr": config.lr_shared}]
    if isinstance(top, HybridTop):
        return [{"params": list(top.token_top.parameters()), "lr": config.lr_trunk},
                {"params": list(top.shared.parameters()), "lr": config.lr_shared}]
    return [{"params": list(top.parameters()), "lr": config.lr_trunk}]


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Features:
    """Lower-trunk hidden states (fp16, unpadded) and untuned embeddings for a list of texts."""

    def __init__(self, trunk: Trunk, texts: Sequence[str], batch: int = 64) -> None:
        self.hidden: list[torch.Tensor] = [torch.empty(0)] * len(texts)
        self.base = torch.zeros(len(texts), trunk.dim)
        self.pooled = torch.zeros(len(texts), trunk.dim)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            hidden, mask = trunk.lower_states([texts[i] for i in idx])
            with torch.inference_mode():
                pooled = trunk.pooled(hidden, mask, original=True)
            base = F.normalize(pooled, dim=-1)
            for row, i in enumerate(idx):
                self.hidden[i] = hidden[row, : int(mask[row].sum())].half().cpu()
                self.base[i] = base[row].cpu()
                self.pooled[i] = pooled[row].cpu()

    def collate(self, idx: Sequence[int], device: torch.device
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """A zero-padded batch of hidden states and its attention mask."""
        longest = max(self.hidden[i].shape[0] for i in idx)
        dim = self.hidden[idx[0]].shape[1]
        hidden = torch.zeros(len(idx), longest, dim)
        mask = torch.zeros(len(idx), longest, dtype=torch.long)
        for row, i in enumerate(idx):
            n = self.hidden[i].shape[0]
            hidden[row, :n] = self.hidden[i].float()
            mask[row, :n] = 1
        return hidden.to(device), mask.to(device)


def _targets(examples: Sequence[Example], spec: HeadSpec) -> dict[str, torch.Tensor]:
    skill = torch.tensor([spec.skills.index(e.skill) if e.skill in spec.skills else -1
                          for e in examples])
    emotion = torch.tensor([spec.emotions.index(e.emotion) if e.emotion in spec.emotions else -1
                            for e in examples])
    labelled = torch.tensor([e.safety is not None for e in examples])
    safety = torch.tensor([[float(lbl in (e.safety or ())) for lbl in spec.safety_labels]
                           for e in examples])
    return {"skill": skill, "emotion": emotion, "safety": safety, "labelled": labelled}


def _pos_weight(targets: dict[str, torch.Tensor]) -> torch.Tensor:
    rows = targets["safety"][targets["labelled"]]
    pos = rows.sum(0).clamp(min=1)
    return ((len(rows) - pos) / pos).sqrt().clamp(1.0, 10.0)


def _length_batches(feats: Features, size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar-length texts (little padding: ~4x faster on CPU)."""
    order = list(range(len(feats.hidden)))
    rng.shuffle(order)
    batches: list[list[int]] = []
    chunk = size * 16
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: feats.hidden[i].shape[0])
        batches += [part[j : j + size] for j in range(0, len(part), size)]
    rng.shuffle(batches)
    return batches


def _class_weight(target: torch.Tensor, classes: int) -> torch.Tensor:
    """Inverse-frequency class weights (mean 1) over the labelled rows."""
    counts = torch.bincount(target[target >= 0], minlength=classes).float().clamp(min=1)
    weight = counts.sum() / (classes * counts)
    return weight / weight.mean()


def _best_threshold(gold: Sequence[bool], probs: Sequence[float],
                    grid: Sequence[float]) -> tuple[float, float]:
    """(F1, threshold) of the threshold in ``grid`` with the best F1 (first one on ties)."""
    best = (-1.0, 0.5)
    for t in grid:
        pred = [p >= t for p in probs]
        tp = sum(g and p for g, p in zip(gold, pred, strict=True))
        f1 = 2 * tp / (sum(gold) + sum(pred)) if sum(gold) + sum(pred) else 0.0
        if f1 > best[0] + 1e-9:
            best = (f1, t)
    return best


def calibrate_safety(heads: Heads, encoder: Encoder, val: Sequence[Example]) -> dict[str, float]:
    """Pick each safety label's threshold on the English validation split (best F1, 0.25–0.6)
    and fold it into the head's output bias, so that 0.5 is the decision point for every
    consumer. Other languages get their own offsets (:func:`calibrate_language_offsets`)."""
    rows = [e for e in val if e.safety is not None and e.lang == "en"]
    if not rows:
        return {}
    probs = encoder.outputs([e.text for e in rows]).safety
    chosen: dict[str, float] = {}
    last = heads.safety[-1]
    assert isinstance(last, torch.nn.Linear)
    for j, label in enumerate(heads.spec.safety_labels):
        gold = [label in (e.safety or ()) for e in rows]
        _, chosen[label] = _best_threshold(gold, [float(p) for p in probs[:, j]],
                                           (0.5, 0.45, 0.55, 0.4, 0.6, 0.35, 0.3, 0.25))
        with torch.no_grad():
            last.bias[j] -= math.log(chosen[label] / (1 - chosen[label]))
    return chosen


MIN_LANGUAGE_POSITIVES = 30
"""A language gets its own threshold for a label only with this many positive validation rows."""


def calibrate_language_offsets(encoder: Encoder, val: Sequence[Example]
                               ) -> dict[str, dict[str, float]]:
    """Per-language safety logit offsets (after :func:`calibrate_safety`), so that 0.5 is the
    decision point in every language: best F1 on that language's validation rows.

    Only labels with :data:`MIN_LANGUAGE_POSITIVES` positives in a language are calibrated
    (Chinese abuse on the COLD validation comments); the rest keep the shared threshold.
    """
    offsets: dict[str, dict[str, float]] = {}
    grid = [round(0.05 * i, 2) for i in range(2, 19)]
    for lang in sorted({e.lang for e in val} - {"en"}):
        rows = [e for e in val if e.safety is not None and e.lang == lang]
        if not rows:
            continue
        probs = encoder.outputs([e.text for e in rows], with_offsets=False).safety
        for j, label in enumerate(encoder.spec.safety_labels):
            gold = [label in (e.safety or ()) for e in rows]
            if sum(gold) < MIN_LANGUAGE_POSITIVES:
                continue
            _, t = _best_threshold(gold, [float(p) for p in probs[:, j]], grid)
            offsets.setdefault(lang, {})[label] = -math.log(t / (1 - t))
    encoder.language_offsets = offsets
    return offsets


def calibrate_temperature(layer: torch.nn.Module, logits: torch.Tensor, target: torch.Tensor
                          ) -> float:
    """Temperature scaling (Guo et al., 2017) fitted on validation logits by grid search on NLL,
    folded into the head's last linear layer so its softmax gives calibrated confidences."""
    keep = target >= 0
    if not bool(keep.any()) or not isinstance(layer, torch.nn.Linear):
        return 1.0
    grid = [0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0]
    nll = [float(F.cross_entropy(logits[keep] / t, target[keep])) for t in grid]
    best = grid[nll.index(min(nll))]
    with torch.no_grad():
        layer.weight.div_(best)
        layer.bias.div_(best)
    return best


def calibrate_confidences(heads: Heads, trunk: Trunk, val: Sequence[Example]) -> dict[str, float]:
    """Fit the skill and emotion temperatures on the validation split."""
    if not val:
        return {}
    spec = heads.spec
    t = _targets(val, spec)
    with torch.inference_mode():
        hidden, mask = trunk.lower_states([e.text for e in val])
        logits = heads(trunk.pooled(hidden, mask))
    logits = {k: v.detach().float().cpu() for k, v in logits.items()}
    return {"skill": calibrate_temperature(heads.skill[-1], logits["skill"], t["skill"]),
            "emotion": calibrate_temperature(heads.emotion[-1], logits["emotion"], t["emotion"])}


def _head_parts(heads: Heads, pooled: torch.Tensor, t: dict[str, torch.Tensor],
                pos_weight: torch.Tensor, skill_weight: torch.Tensor | None = None
                ) -> dict[str, torch.Tensor | None]:
    logits = heads(pooled)
    return {
        "skill": losses.masked_ce(logits["skill"], t["skill"], skill_weight),
        "safety": losses.masked_bce(logits["safety"], t["safety"], t["labelled"], pos_weight),
        "emotion": losses.masked_ce(logits["emotion"], t["emotion"]),
    }


def warm_up_heads(heads: Heads, feats: Features, targets: dict[str, torch.Tensor],
                  config: TrainConfig, pos_weight: torch.Tensor, device: torch.device,
                  rng: random.Random) -> None:
    """Train the heads alone on the cached untuned trunk output (seconds on a CPU).

    The joint epochs that follow then start from sensible heads, so few of them are needed.
    """
    optimizer = torch.optim.AdamW(heads.parameters(), lr=config.lr_heads,
                                  weight_decay=config.weight_decay)
    heads.train()
    n = len(feats.hidden)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matmuls: thread sync costs more than it gains
    try:
        _warm_up_loop(heads, feats, targets, config, pos_weight, device, rng, optimizer, n)
    finally:
        torch.set_num_threads(threads)


def _warm_up_loop(heads: Heads, feats: Features, targets: dict[str, torch.Tensor],
                  config: TrainConfig, pos_weight: torch.Tensor, device: torch.device,
                  rng: random.Random, optimizer: torch.optim.Optimizer, n: int) -> None:
    skill_weight = _class_weight(targets["skill"], len(heads.spec.skills)).to(device)
    size = config.head_warmup_batch_size or config.batch_size
    for _ in range(config.head_warmup_epochs):
        order = list(range(n))
        rng.shuffle(order)
        for start in range(0, n, size):
            idx = order[start : start + size]
            t = {k: v[idx].to(device) for k, v in targets.items()}
            parts = _head_parts(heads, feats.pooled[idx].to(device), t, pos_weight, skill_weight)
            loss = losses.weighted_total(parts, config.loss_weights)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def train(config: TrainConfig, out_dir: Path, device: torch.device,
          encoder_model: str | None = None, progress: bool = True,
          dataset: Dataset | None = None, cache_dir: Path | None = None) -> TrainResult:
    """Train the heads (and top trunk layers) and write a checkpoint into ``out_dir``.

    Args:
        config: the training config.
        out_dir: the checkpoint folder (``checkpoints/last`` holds the latest epoch).
        device: where to train.
        encoder_model: the trunk when the config names none (``BOTCORE_ENCODER_MODEL``).
        progress: show tqdm progress bars.
        dataset: a prepared dataset (built from ``config`` when None).
        cache_dir: where a frozen sentence encoder's vectors are cached between runs.
    """
    started = time.perf_counter()
    seed_everything(config.seed)
    data = dataset or build_dataset(config)
    source = encoder_source(config.encoder or encoder_model)
    trunk = load_trunk(source, device, config.trainable_layers, config.max_length)
    use_cache(trunk, cache_dir, [e.text for e in (*data.train, *data.val, *data.test)]
              + [q for f in data.faq for q in (*f.train_questions, *f.query_questions)])
    spec = HeadSpec(tuple(config.skills), tuple(config.safety_labels), tuple(config.emotions),
                    source.name, trunk.dim, config.trainable_layers, config.head_hidden,
                    config.dropout, config.max_length)
    heads = Heads(spec).to(device)
    feats = Features(trunk, [e.text for e in data.train])
    targets = _targets(data.train, spec)
    pos_weight = _pos_weight(targets).to(device)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(data.train):
        if ex.group:
            groups[ex.group].append(i)
    group_ids = sorted(g for g, members in groups.items() if len(members) >= 2)
    skill_weight = _class_weight(targets["skill"], len(spec.skills)).to(device)
    rng = random.Random(config.seed)
    warm = time.perf_counter()
    warm_up_heads(heads, feats, targets, config, pos_weight, device, rng)
    log.info("features %.0f s, head warm-up %.0f s", warm - started, time.perf_counter() - warm)
    params = [{"params": heads.parameters(), "lr": config.lr_heads_joint}]
    if config.trainable_layers:
        params += trunk_param_groups(trunk.top, config)
    optimizer = torch.optim.AdamW(params, weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(data.train) / config.batch_size)
    total_steps = max(1, steps_per_epoch * config.epochs)
    final = config.lr_final_fraction
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 1.0 - (1.0 - final) * min(step, total_steps) / total_steps)
    best: tuple[float, dict[str, Any] | None] = (-1.0, None)
    if config.epochs == 0:
        best = (0.0, {"heads": heads.state_dict(), "top": trunk.top.state_dict(), "epoch": 0})
    history = []
    for epoch in range(1, config.epochs + 1):
        heads.train()
        trunk.top.train()
        batches = _length_batches(feats, config.batch_size, rng)
        bar = tqdm(range(len(batches)), desc=f"epoch {epoch}/{config.epochs}",
                   disable=not progress, leave=False)
        sums: dict[str, float] = defaultdict(float)
        for step in bar:
            idx = batches[step]
            hidden, mask = feats.collate(idx, device)
            pooled = trunk.pooled(hidden, mask)
            t = {k: v[idx].to(device) for k, v in targets.items()}
            parts = _head_parts(heads, pooled, t, pos_weight, skill_weight)
            parts["distill"] = losses.distill(pooled, feats.base[idx].to(device))
            if group_ids and config.weight("contrastive"):
                chosen = rng.sample(group_ids, min(len(group_ids), config.batch_size // 2))
                pairs = [rng.sample(groups[g], 2) for g in chosen]
                a = trunk.pooled(*feats.collate([p[0] for p in pairs], device))
                b = trunk.pooled(*feats.collate([p[1] for p in pairs], device))
                parts["contrastive"] = losses.info_nce(a, b, config.contrastive_temperature)
            loss = losses.weighted_total(parts, config.loss_weights)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            sums["loss"] += float(loss.detach())
            for name, value in parts.items():
                if value is not None:
                    sums[name] += float(value.detach())
            bar.set_postfix(loss=f"{sums['loss'] / (step + 1):.3f}")
        heads.eval()
        trunk.top.eval()
        encoder = Encoder(trunk, heads)
        val = evaluate_heads(encoder, data.val)
        score = selection_score(val)
        history.append({"epoch": epoch, "val_score": score,
                        **{k: v / steps_per_epoch for k, v in sums.items()}})
        log.info("epoch %d: loss %.3f, val score %.3f (%.0f s so far)", epoch,
                 sums["loss"] / steps_per_epoch, score, time.perf_counter() - started)
        save_checkpoint(out_dir / "checkpoints" / "last", heads, trunk.top, {"epoch": epoch})
        if score > best[0]:
            best = (score, {"heads": {k: v.detach().clone() for k, v in heads.state_dict().items()},
                            "top": {k: v.detach().clone()
                                    for k, v in trunk.top.state_dict().items()},
                            "epoch": epoch})
    assert best[1] is not None
    heads.load_state_dict(best[1]["heads"])
    trunk.top.load_state_dict(best[1]["top"])
    encoder = Encoder(trunk, heads)
    thresholds = calibrate_safety(heads, encoder, data.val)
    offsets = calibrate_language_offsets(encoder, data.val)
    temperatures = calibrate_confidences(heads, trunk, data.val)
    metrics = {"test": evaluate_heads(encoder, [e for e in data.test if e.lang == "en"]),
               "test_zh": evaluate_heads(encoder, [e for e in data.test if e.lang == "zh"]),
               "retrieval": evaluate_retrieval(encoder, data.faq),
               "retrieval_zh": evaluate_retrieval(encoder, data.faq_zh),
               "best_epoch": best[1]["epoch"],
               "sizes": {"train": len(data.train), "val": len(data.val), "test": len(data.test)}}
    seconds = time.perf_counter() - started
    meta = {"metrics": metrics, "history": history, "calibrated_thresholds": thresholds,
            "language_offsets": offsets,
            "temperatures": temperatures,
            "seconds": round(seconds, 1), "config": config.model_dump(mode="json")}
    save_checkpoint(out_dir, heads, trunk.top, meta)
    log.info("trained in %.0f s; checkpoint in %s", seconds, out_dir)
    return TrainResult(out_dir, metrics, seconds)
