"""The vllm engine's request and stream mapping (vLLM itself needs CUDA: not run here)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from botcore.errors import InferenceError
from botcore.inference.payloads import ChatTurn, GenerateRequest
from workers.model.engines.base import EngineOptions, TextShaper, request_stops
from workers.model.engines.vllm import VLLMEngine, consume, sampling_kwargs


def ask(**extra: object) -> GenerateRequest:
    return GenerateRequest(request_id="v", messages=[ChatTurn(role="user", content="hi")],
                           **extra)  # type: ignore[arg-type]


def test_sampling_settings_map_to_vllm() -> None:
    kw = sampling_kwargs(ask(temperature=0.7, top_p=0.8, repetition_penalty=1.2, seed=3,
                             max_new_tokens=50, stop=["END"]), EngineOptions())
    assert kw["temperature"] == 0.7 and kw["top_p"] == 0.8 and kw["top_k"] == 40
    assert kw["repetition_penalty"] == 1.2 and kw["seed"] == 3 and kw["max_tokens"] == 50
    assert kw["stop"][0] == "END" and "<|im_end|>" in kw["stop"] and kw["ignore_eos"] is False
    greedy = sampling_kwargs(ask(temperature=0.0), EngineOptions(ignore_eos=True))
    assert greedy["top_k"] == -1 and greedy["top_p"] == 1.0 and greedy["ignore_eos"] is True
    assert "seed" not in greedy


@dataclass
class Completion:
    """The fields of ``vllm.CompletionOutput`` the engine reads."""

    text: str
    token_ids: list[int]
    finish_reason: str | None = None


@dataclass
class Output:
    """The fields of ``vllm.RequestOutput`` the engine reads (cumulative text)."""

    outputs: list[Completion]
    finished: bool = False
    prompt_token_ids: list[int] = field(default_factory=lambda: [1, 2, 3])


async def stream(texts: list[str], finish: str) -> AsyncIterator[Output]:
    for i, text in enumerate(texts):
        last = i == len(texts) - 1
        yield Output([Completion(text, list(range(i + 1)), finish if last else None)], last)


async def test_cumulative_text_becomes_pieces_and_a_final_result() -> None:
    deltas: list[str] = []
    shaper = TextShaper(request_stops(ask()), deltas.append)
    out, stopped = await consume(stream(["Hi", "Hi there.", "Hi there. How", "Hi there. How are"],
                                        "length"), shaper.feed, time.perf_counter())
    assert not stopped and out.tokens == 4 and out.prompt_tokens == 3
    assert out.finish_reason == "length" and out.first_token_s is not None
    assert shaper.finish(out.finish_reason) == "Hi there." == "".join(deltas)


async def test_a_stop_string_seen_client_side_stops_the_stream() -> None:
    shaper = TextShaper(request_stops(ask()), None)
    out, stopped = await consume(stream(["Sure.", "Sure.\nUser: more", "never read"], "stop"),
                                 shaper.feed, time.perf_counter())
    assert stopped and out.finish_reason == "stop" and out.tokens == 2


async def test_without_vllm_the_engine_says_what_to_install() -> None:
    pytest.importorskip("transformers")
    try:
        import vllm  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("vLLM is installed")
    with pytest.raises(InferenceError, match="needs vLLM"):
        await VLLMEngine("some/model").start()
