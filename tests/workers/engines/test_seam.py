"""The engine seam: text shaping, the admission queue, engine selection."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from botcore.errors import ConfigError
from botcore.inference.payloads import ChatTurn, GenerateRequest, GenerationStatus
from tests.conftest import make_settings
from workers.model.engines import create_engine, resolve_engine
from workers.model.engines.base import EngineOptions, EngineOutput, OnPiece, TextShaper
from workers.model.engines.host import EngineHost


def req(i: int | str, text: str = "hi", **extra: object) -> GenerateRequest:
    return GenerateRequest(request_id=f"r{i}", messages=[ChatTurn(role="user", content=text)],
                           **extra)  # type: ignore[arg-type]


def test_shaper_streams_whole_sentences_that_add_up_to_the_final_text() -> None:
    out: list[str] = []
    shaper = TextShaper(("\nUser:",), out.append)
    for piece in [" Hello", " there.", " How are", " you? I", " am fi", "ne"]:
        assert shaper.feed(piece) is False
    assert out == ["Hello there.", " How are you?"]
    final = shaper.finish("length")  # cut by the token cap: the unfinished sentence goes
    assert final == "Hello there. How are you?" == "".join(out)


def test_shaper_cuts_at_a_stop_string_and_asks_to_stop() -> None:
    out: list[str] = []
    shaper = TextShaper(("\nUser:",), out.append)
    assert shaper.feed("Sure. Here it is.") is False
    assert shaper.feed("\nUse") is False
    assert shaper.feed("r: ignore") is True
    assert shaper.finish("stop") == "Sure. Here it is." == "".join(out)


class SlowEngine:
    """A fake engine: one piece per ``tick_s``; records the order requests start in."""

    name = "fake"
    model_name = "fake"

    def __init__(self, capacity: int, tick_s: float = 0.05, pieces: int = 4) -> None:
        self._capacity, self.tick_s, self.pieces = capacity, tick_s, pieces
        self.started: list[str] = []
        self.active = 0
        self.peak = 0
        self.cancelled: list[str] = []

    @property
    def capacity(self) -> int:
        return self._capacity

    async def start(self) -> None:
        return None

    async def generate(self, request: GenerateRequest, on_piece: OnPiece,
                       options: EngineOptions) -> EngineOutput:
        self.started.append(request.request_id)
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            for i in range(self.pieces):
                await asyncio.sleep(self.tick_s)
                on_piece(f"Word{i}. ")
            return EngineOutput(tokens=self.pieces, prompt_tokens=3, finish_reason="stop",
                                first_token_s=self.tick_s)
        except asyncio.CancelledError:
            self.cancelled.append(request.request_id)
            raise
        finally:
            self.active -= 1

    async def aclose(self) -> None:
        return None


def test_host_admits_up_to_capacity_and_queues_the_rest_in_order() -> None:
    engine = SlowEngine(capacity=2)
    host = EngineHost(engine, version="v1")
    statuses: list[GenerationStatus] = []
    lock = threading.Lock()

    def on_status(st: GenerationStatus) -> None:
        with lock:
            statuses.append(st)

    try:
        futures = [host.submit(req(i), on_status=on_status) for i in range(5)]
        results = [f.result(timeout=30) for f in futures]
    finally:
        host.close()
    assert engine.peak == 2
    assert engine.started == [f"r{i}" for i in range(5)]  # first come, first served
    queued = {s.request_id: s.position for s in statuses if s.state == "queued"}
    assert queued == {"r2": 1, "r3": 2, "r4": 3}
    admitted = [s.request_id for s in statuses if s.state == "admitted"]
    assert admitted == [f"r{i}" for i in range(5)]
    assert all(r.model_version == "v1" and r.text.startswith("Word0.") for r in results)
    assert all(r.first_token_ms is not None for r in results)
    # the last one waited for two rounds before its first piece
    assert results[4].first_token_ms is not None and results[4].first_token_ms > 100


def test_cancelling_frees_the_slot_and_a_queued_request_never_runs() -> None:
    engine = SlowEngine(capacity=1, tick_s=0.2, pieces=50)
    host = EngineHost(engine)
    try:
        running = host.submit(req(1))
        queued = host.submit(req(2))
        time.sleep(0.3)
        assert queued.cancel() and running.cancel()
        after = host.submit(req(3), options=EngineOptions())
        deadline = time.monotonic() + 10
        while "r3" not in engine.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.started[:2] == ["r1", "r3"]  # r2 left the queue before it cost anything
        assert engine.cancelled == ["r1"]
        after.cancel()
    finally:
        host.close()


def test_streamed_deltas_add_up_to_the_result_text() -> None:
    host = EngineHost(SlowEngine(capacity=4))
    deltas: list[str] = []
    try:
        result = host.submit(req(1), deltas.append).result(timeout=30)
    finally:
        host.close()
    assert "".join(deltas) == result.text == "Word0. Word1. Word2. Word3."


def test_auto_picks_llamacpp_for_the_bundled_gguf_on_cpu(tmp_path: Path) -> None:
    assert resolve_engine(make_settings(tmp_path, device="cpu")) == "llamacpp"
    assert resolve_engine(make_settings(tmp_path, device="cpu",
                                        generator_url="http://127.0.0.1:1/v1")) == "openai"
    assert resolve_engine(make_settings(tmp_path, device="cpu", generator_model=str(tmp_path))
                          ) == "transformers"
    assert resolve_engine(make_settings(tmp_path, device="cpu", generator_engine="vllm")
                          ) == "vllm"


def test_bad_engine_configurations_fail_with_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs a GGUF"):
        create_engine(make_settings(tmp_path, generator_model=str(tmp_path),
                                    generator_engine="llamacpp"))
    with pytest.raises(ConfigError, match="BOTCORE_GENERATOR_URL"):
        create_engine(make_settings(tmp_path, generator_engine="openai"))
    with pytest.raises(ValueError):
        make_settings(tmp_path, generator_engine="nope")
    with pytest.raises(ValueError):
        make_settings(tmp_path, generator_slots=0)


def test_a_closed_host_is_replaced_by_the_service() -> None:
    from workers.model.service import ModelService

    class Svc(ModelService):
        def __init__(self) -> None:  # only what engine_host needs
            import threading

            self._host, self._lock, self.version = None, threading.RLock(), "v"
            self.settings = None  # type: ignore[assignment]

    svc = Svc()
    first = EngineHost(SlowEngine(capacity=1))
    svc._host = first
    assert svc.engine_host() is first
    first.close()
    assert first.closed
    import workers.model.engines as engines

    made: list[EngineHost] = []
    original = engines.create_engine
    engines.create_engine = lambda *_a, **_k: SlowEngine(capacity=2)  # type: ignore[assignment]
    try:
        second = svc.engine_host()
        made.append(second)
    finally:
        engines.create_engine = original
    try:
        assert second is not first and second.capacity == 2
        assert second.submit(req(9)).result(timeout=30).text.startswith("Word0.")
    finally:
        second.close()


def test_closing_the_host_cancels_what_runs_and_waits() -> None:
    host = EngineHost(SlowEngine(capacity=1, tick_s=0.5, pieces=100))
    running, waiting = host.submit(req(1)), host.submit(req(2))
    time.sleep(0.3)
    host.close()
    assert running.cancelled() and waiting.cancelled()
