"""A small real training run: it learns, writes a loadable checkpoint, and the CLI serves it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from workers.model.encoder import Encoder
from workers.model.sources import encoder_source
from workers.training.config import load_config
from workers.training.trainer import train

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_tiny_training_run_learns_and_saves(tmp_path: Path, monkeypatch: Any) -> None:
    cfg = load_config()
    cfg.encoder = "bundled:all-MiniLM-L6-v2"
    cfg.external.cold, cfg.external.cold_val, cfg.external.cold_companion = 300, 100, 50
    cfg.external.chitchat = cfg.external.chatterbot_companion = 30
    cfg.external.chatterbot_assistant = 30
    cfg.head_warmup_epochs, cfg.epochs = 15, 1
    out = tmp_path / "v"
    result = train(cfg, out, torch.device("cpu"), progress=False)
    assert (out / "heads.json").is_file() and (out / "checkpoints" / "last").is_dir()
    assert result.metrics["test"]["skill"]["macro_f1"] > 0.7
    assert result.metrics["retrieval"]["tuned"]["recall@5"] > 0.8
    encoder = Encoder.load(encoder_source(cfg.encoder), torch.device("cpu"), out)
    top = dict(encoder.trunk.top.named_parameters())
    orig = dict(encoder.trunk.top_original.named_parameters())
    assert any(not torch.allclose(top[k], orig[k]) for k in top), "the trunk layer was trained"

    from workers.cli import model_app

    monkeypatch.setenv("BOTCORE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BOTCORE_ENCODER_MODEL", "minilm")  # the trunk these heads were trained on
    lines = tmp_path / "in.txt"
    lines.write_text("what is your refund policy?\nexplain fractions to me\n")
    res = CliRunner().invoke(model_app, ["predict", "--file", str(lines), "--json",
                                         "--checkpoint", str(out)])
    assert res.exit_code == 0, res.output
    rows = [json.loads(ln) for ln in res.stdout.splitlines() if ln.strip()]
    assert len(rows) == 2 and {"skill", "scores", "safety", "emotion", "flags"} <= set(rows[0])
