"""Loading the encoder trunk a setting names: a BERT-like encoder (:class:`Trunk`), a bundled
sentence encoder (:class:`SentenceTrunk`) or the hybrid of both (:class:`HybridTrunk`).

Its own module so the base class never imports its subclasses (no import circle).
"""

from __future__ import annotations

import torch

from workers.model.sentence_trunk import HybridTrunk, SentenceTrunk
from workers.model.sources import (
    BUNDLED_HYBRID,
    BUNDLED_MINILM,
    BUNDLED_USEM3,
    SENTENCE_ENCODERS,
    ModelSource,
    encoder_source,
)
from workers.model.trunk import Trunk


def load_trunk(source: ModelSource, device: torch.device, k: int = 1,
               max_length: int = 128) -> Trunk:
    """Load the encoder ``source`` names with its top ``k`` layers trainable.

    Raises:
        ConfigError: the model cannot be loaded or is not layered like BERT.
    """
    if source.name in SENTENCE_ENCODERS:
        return SentenceTrunk.load(source, device, k, max_length)
    if source.name == BUNDLED_HYBRID:
        return HybridTrunk.load_pair(source.name, encoder_source(BUNDLED_MINILM),
                                     encoder_source(BUNDLED_USEM3), device, k, max_length)
    return Trunk.load(source, device, k, max_length)
