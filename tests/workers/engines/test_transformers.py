"""The transformers engine: requests join and leave the running batch between decoding steps.

Causal: the bundled SmolLM2 (converted once, like tests/workers/test_model_service.py).
Seq2seq: a tiny T5 built and saved in the test (random weights, a word-level tokenizer).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import torch

from botcore.inference.payloads import ChatTurn, GenerateRequest
from workers.model.engines.host import EngineHost
from workers.model.engines.transformers import TransformersEngine
from workers.model.generator import Generator
from workers.model.sources import ModelSource


def ask(i: int, text: str, tokens: int, **extra: Any) -> GenerateRequest:
    return GenerateRequest(request_id=f"q{i}", max_new_tokens=tokens, temperature=0.0,
                           messages=[ChatTurn(role="user", content=text)], **extra)


QUESTIONS = [("What is the capital of France?", 24), ("Say hello.", 6),
             ("How do plants grow?", 30), ("Name a colour.", 8)]


def test_causal_rows_join_and_leave_between_steps(model_service: Any) -> None:
    gen = model_service.generator
    requests = [ask(i, q, n) for i, (q, n) in enumerate(QUESTIONS)]
    static = gen.generate(requests)  # the static batch: the reference output
    engine = TransformersEngine(lambda: gen, slots=4)
    host = EngineHost(engine)
    try:
        host.start()
        done_at: dict[str, float] = {}
        futures = []
        for r in requests:  # staggered: each one joins a batch that is already decoding
            fut = host.submit(r)
            fut.add_done_callback(lambda f, rid=r.request_id: done_at.setdefault(
                rid, time.monotonic()))
            futures.append(fut)
            time.sleep(0.2)
        results = [f.result(timeout=600) for f in futures]
    finally:
        host.close()
    for ref, got in zip(static, results, strict=True):
        assert got.text == ref.text and got.tokens == ref.tokens
        assert got.finish_reason == ref.finish_reason
    sizes = engine.step_sizes
    assert max(sizes) >= 2  # decoded together
    assert sizes[-1] == 1 and sizes.index(max(sizes)) > 0  # joined a running batch, left early
    assert done_at["q1"] < done_at["q2"]  # the short reply did not wait for the long one


def test_causal_sampling_is_seeded_and_streams_add_up(model_service: Any) -> None:
    gen = model_service.generator
    host = EngineHost(TransformersEngine(lambda: gen, slots=2))
    try:
        req = GenerateRequest(request_id="s", max_new_tokens=24, temperature=0.9, seed=5,
                              messages=[ChatTurn(role="user", content="Describe the sea.")])
        deltas: list[str] = []
        one = host.submit(req, deltas.append).result(timeout=600)
        two = host.submit(req).result(timeout=600)
    finally:
        host.close()
    assert one.text == two.text and "".join(deltas) == one.text


@pytest.fixture(scope="module")
def tiny_t5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny T5 with a word-level tokenizer, saved to a local folder (no hub)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration

    words = ("the a cat dog sat on mat sun sea blue red is was and to of in it you i what "
             "why how hello world plants grow water light").split()
    vocab = {w: i for i, w in enumerate(["<pad>", "</s>", "<unk>", *words])}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>")
    torch.manual_seed(0)
    config = T5Config(vocab_size=len(vocab), d_model=32, d_kv=8, d_ff=64, num_layers=2,
                      num_decoder_layers=2, num_heads=4, pad_token_id=0, eos_token_id=1,
                      decoder_start_token_id=0)
    model = T5ForConditionalGeneration(config).eval()
    folder = tmp_path_factory.mktemp("tiny-t5")
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    return folder


def test_seq2seq_rows_join_and_match_the_static_batch(tiny_t5: Path) -> None:
    gen = Generator.load(ModelSource("tiny-t5", str(tiny_t5)), torch.device("cpu"), tiny_t5)
    assert gen.is_seq2seq
    texts = ["what is the sea", "hello world", "why do plants grow in light and water",
             "the cat sat on the mat"]
    requests = [ask(i, t, n, repetition_penalty=1.0) for i, (t, n) in
                enumerate(zip(texts, (12, 3, 16, 7), strict=True))]
    static = gen.generate(requests)
    engine = TransformersEngine(lambda: gen, slots=3)
    host = EngineHost(engine)
    try:
        futures = []
        for r in requests:
            futures.append(host.submit(r))
            time.sleep(0.05)
        results = [f.result(timeout=300) for f in futures]
    finally:
        host.close()
    for ref, got in zip(static, results, strict=True):
        assert got.text == ref.text and got.tokens == ref.tokens
    assert sum(r.tokens for r in results) > 4  # it really decoded (random weights: odd words)
    assert max(engine.step_sizes) >= 2
