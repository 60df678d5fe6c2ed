"""The llamacpp engine on the bundled SmolLM2 GGUF, for real (xllamacpp in-process)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from botcore.inference.payloads import ChatTurn, GenerateRequest
from tests.conftest import make_settings
from workers.model.engines import create_engine
from workers.model.engines.base import EngineOptions
from workers.model.engines.host import EngineHost
from workers.model.engines.llamacpp import LlamaCppEngine

pytest.importorskip("xllamacpp")

CTX = 512


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineHost]:
    data = tmp_path_factory.mktemp("llama-data")
    settings = make_settings(data, device="cpu", generator_slots=2, generator_ctx=CTX,
                             generator_threads=1)
    h = EngineHost(create_engine(settings))
    h.start()
    yield h
    h.close()
    # the GGUF was loaded as it is: nothing was converted into the data dir
    assert not list((data / "data").glob("models/**/*.safetensors"))


def ask(text: str, **extra: object) -> GenerateRequest:
    values: dict[str, object] = {"max_new_tokens": 24, "temperature": 0.0}
    values.update(extra)
    return GenerateRequest(request_id=f"t-{time.monotonic_ns()}",
                           messages=[ChatTurn(role="user", content=text)], **values)  # type: ignore[arg-type]


def test_streams_deltas_that_add_up_to_the_reply(host: EngineHost) -> None:
    assert isinstance(host.engine, LlamaCppEngine) and host.capacity == 2
    deltas: list[str] = []
    result = host.submit(ask("What is the capital of France?", max_new_tokens=40),
                         deltas.append).result(timeout=300)
    assert "Paris" in result.text
    assert "".join(deltas) == result.text
    assert 0 < result.tokens <= 40 and result.prompt_tokens > 5
    assert result.first_token_ms is not None and result.first_token_ms < result.elapsed_ms


def test_honours_stop_strings_and_the_token_cap(host: EngineHost) -> None:
    question = "Explain in one sentence why the sky is blue."
    free = host.submit(ask(question, max_new_tokens=40)).result(timeout=300)
    words = free.text.split()
    assert len(words) >= 4
    stop = words[3]  # greedy: the same reply again, cut before its fourth word
    stopped = host.submit(ask(question, max_new_tokens=40, stop=[stop])).result(timeout=300)
    assert stop not in stopped.text and stopped.finish_reason == "stop"
    assert free.text.startswith(stopped.text)
    capped = host.submit(ask("Tell me a long story about a dragon.", max_new_tokens=5),
                         options=EngineOptions(ignore_eos=True)).result(timeout=300)
    assert capped.tokens == 5 and capped.finish_reason == "length"


def test_ignore_eos_gives_exactly_the_asked_number_of_tokens(host: EngineHost) -> None:
    result = host.submit(ask("Say yes.", max_new_tokens=20),
                         options=EngineOptions(ignore_eos=True)).result(timeout=300)
    assert result.tokens == 20


def test_sampling_is_seeded_and_settings_change_the_reply(host: EngineHost) -> None:
    one = host.submit(ask("Describe the sea.", temperature=1.0, seed=7)).result(timeout=300)
    two = host.submit(ask("Describe the sea.", temperature=1.0, seed=7)).result(timeout=300)
    assert one.text == two.text
    others = {host.submit(ask("Describe the sea.", temperature=1.0, seed=s)).result(
        timeout=300).text for s in (1, 2, 3)}
    assert len(others | {one.text}) > 1
    # a strong repetition penalty changes what greedy decoding says
    plain = host.submit(ask("Repeat the word cat many times.", repetition_penalty=1.0)
                        ).result(timeout=300)
    penalised = host.submit(ask("Repeat the word cat many times.", repetition_penalty=2.0)
                            ).result(timeout=300)
    assert plain.text != penalised.text


def test_a_long_conversation_is_cut_to_the_slot_context_by_tokens(host: EngineHost) -> None:
    history = [ChatTurn(role="user" if i % 2 == 0 else "assistant", content=f"Message {i}: "
                        + "blah " * 60) for i in range(20)]
    request = GenerateRequest(request_id="long", max_new_tokens=32, temperature=0.0,
                              messages=[ChatTurn(role="system", content="You are kind."),
                                        *history,
                                        ChatTurn(role="user", content="What is 2 + 2?")])
    result = host.submit(request).result(timeout=300)
    assert 0 < result.prompt_tokens <= CTX - 32
    assert result.text


def test_cancel_frees_the_slot(host: EngineHost) -> None:
    long = [host.submit(ask("Write a very long essay about history.", max_new_tokens=400),
                        options=EngineOptions(ignore_eos=True)) for _ in range(2)]
    time.sleep(0.5)
    for f in long:
        assert f.cancel()
    quick = host.submit(ask("Say hi.", max_new_tokens=4)).result(timeout=120)
    assert quick.tokens <= 4
    deadline = time.monotonic() + 30
    while host.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert host.running == 0 and host.waiting == 0


def test_start_is_quick_and_converts_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, device="cpu", generator_slots=1, generator_ctx=256)
    engine = create_engine(settings)
    h = EngineHost(engine)
    try:
        h.start()
        assert isinstance(engine, LlamaCppEngine) and engine.load_s is not None
    finally:
        h.close()
    assert not (tmp_path / "data" / "models").exists()


def test_closing_stops_long_generations_at_their_next_token(tmp_path: Path) -> None:
    """Shutdown must not wait for whole replies: a 2,000-token generation ends at close."""
    settings = make_settings(tmp_path, device="cpu", generator_slots=2, generator_ctx=CTX * 4,
                             generator_threads=1)
    h = EngineHost(create_engine(settings))
    h.start()
    pieces: list[str] = []
    long = [h.submit(ask("Write a very long essay about history.", max_new_tokens=1800),
                     pieces.append, options=EngineOptions(ignore_eos=True)) for _ in range(2)]
    deadline = time.monotonic() + 120
    while not pieces and time.monotonic() < deadline:  # both are decoding
        time.sleep(0.05)
    assert pieces
    h.close(timeout=60)
    for f in long:  # each ended (cancelled or stopped), long before 1,800 tokens
        assert f.done()
        assert f.cancelled() or f.exception() is not None or f.result().tokens < 1800
    assert len(pieces) < 1800
