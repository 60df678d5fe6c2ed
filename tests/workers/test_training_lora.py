"""The optional generator LoRA: trains, saves, and is merged when its version is served."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from botcore.inference.payloads import ChatTurn, GenerateRequest
from workers.training.config import load_config

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_lora_trains_saves_and_is_merged(model_service: Any, model_settings: Any,
                                         tmp_path: Path) -> None:
    import torch

    from workers.model.service import ModelService
    from workers.training.lora import train_generator_lora

    cfg = load_config()
    cfg.generator_lora.enabled, cfg.generator_lora.steps = True, 2
    version = tmp_path / "v"
    out = train_generator_lora(model_settings, cfg, version / "generator_lora", progress=False)
    assert (out / "adapter_config.json").is_file()
    service = ModelService(model_settings, model_service.encoder, "v", checkpoint=version)
    gen = service.generator
    assert "Peft" not in type(gen.model).__name__  # merged into plain weights
    base = model_service.generator.model.state_dict()["model.layers.0.self_attn.q_proj.weight"]
    tuned = gen.model.state_dict()["model.layers.0.self_attn.q_proj.weight"]
    assert not torch.allclose(base, tuned)
    reply = service.generate([GenerateRequest(request_id="l", max_new_tokens=8, messages=[
        ChatTurn(role="user", content="hi")])])[0]
    assert reply.tokens <= 8 and reply.model_version == "v"
