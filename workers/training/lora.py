"""Optional LoRA fine-tuning of the generator (peft) on packaged conversation pairs.

Enabled with ``generator_lora.enabled: true`` in the training config. The adapter is saved next to
the heads (``<version>/generator_lora``) and merged into the generator when that version is
active. Only reply tokens carry the LM loss.
"""

from __future__ import annotations

import itertools
import json
import logging
import random
from pathlib import Path

import torch
from tqdm import tqdm

from botcore.config import Settings
from workers.model.devices import resolve_device
from workers.model.generator import Generator
from workers.model.sources import generator_source
from workers.training.config import TrainConfig
from workers.training.data import _package_dir
from workers.training.preprocess import clean_text

log = logging.getLogger(__name__)

SYSTEM = "You are a warm, caring friend. Reply in one to three short sentences."


def conversation_pairs(limit: int, seed: int) -> list[tuple[str, str]]:
    """(message, reply) pairs from consecutive turns of the chitchat dataset."""
    root = _package_dir("chitchat_dataset")
    if root is None:
        return []
    data = json.loads((root / "dataset.json").read_text("utf-8"))
    pairs = []
    for conv in data.values():
        turns = [" ".join(m["text"] for m in turn) for turn in conv["messages"]]
        for a, b in itertools.pairwise(turns):
            if 8 <= len(a) <= 200 and 8 <= len(b) <= 200:
                pairs.append((clean_text(a), clean_text(b)))
    random.Random(seed).shuffle(pairs)
    return pairs[:limit]


def train_generator_lora(settings: Settings, config: TrainConfig, out_dir: Path,
                         progress: bool = True) -> Path:
    """Train a LoRA adapter on the generator and save it into ``out_dir``."""
    from peft import LoraConfig, get_peft_model

    cfg = config.generator_lora
    torch.manual_seed(config.seed)
    gen = Generator.load(generator_source(settings.generator_model),
                         resolve_device(settings.device), settings.data_dir)
    tok = gen.tokenizer
    model = get_peft_model(gen.model, LoraConfig(r=cfg.r, lora_alpha=cfg.alpha,
                                                 target_modules=cfg.target_modules,
                                                 task_type="CAUSAL_LM"))
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=cfg.lr)
    pairs = conversation_pairs(cfg.steps * 8, config.seed)
    for step in tqdm(range(cfg.steps), desc="generator LoRA", disable=not progress):
        batch = pairs[step * 8 : (step + 1) * 8]
        if not batch:
            break
        ids, labels = [], []
        for msg, reply in batch:
            prompt = tok.apply_chat_template(
                [{"role": "system", "content": SYSTEM}, {"role": "user", "content": msg}],
                tokenize=False, add_generation_prompt=True)
            p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
            r_ids = tok(reply + tok.eos_token, add_special_tokens=False)["input_ids"]
            ids.append((p_ids + r_ids)[-128:])
            labels.append(([-100] * len(p_ids) + r_ids)[-128:])
        width = max(map(len, ids))
        input_ids = torch.tensor([[tok.pad_token_id] * (width - len(x)) + x for x in ids])
        label_t = torch.tensor([[-100] * (width - len(x)) + x for x in labels])
        mask = (torch.arange(width)[None, :] >= torch.tensor(
            [width - len(x) for x in ids])[:, None]).long()
        loss = model(input_ids=input_ids.to(gen.device), attention_mask=mask.to(gen.device),
                     labels=label_t.to(gen.device)).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.save_pretrained(str(out_dir))
    log.info("generator LoRA saved to %s", out_dir)
    return out_dir
