"""The openai engine against a real OpenAI-compatible server on 127.0.0.1.

The server is llama.cpp's own (xllamacpp's in-process HTTP listener, bundled SmolLM2 GGUF),
behind a small aiohttp front that checks the key and can answer 429/503 or stall first, and
records when a client goes away. The client is never mocked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from botcore.errors import InferenceError
from botcore.inference.payloads import ChatTurn, GenerateRequest
from tests.conftest import make_settings
from workers.model.engines import create_engine
from workers.model.engines.base import EngineOptions, TextShaper, request_stops
from workers.model.engines.openai import OpenAIEngine, fit_by_chars

xlc = pytest.importorskip("xllamacpp")
KEY = "sk-test-0123456789abcdef"


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server, listening on 127.0.0.1."""
    from workers.model.sources import bundled_generator_gguf

    params = xlc.CommonParams()
    params.model.path = str(bundled_generator_gguf())
    params.n_parallel, params.n_ctx = 2, 2048
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = 1
    params.warmup, params.verbosity = False, -1
    server = xlc.Server(params)
    yield server.listening_address
    del server


class Front:
    """An aiohttp front: checks the key, injects failures, proxies SSE, notes disconnects."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.fail: list[int] = []  # statuses to answer before proxying, in order
        self.stall_s = 0.0
        self.bodies: list[dict[str, Any]] = []
        self.disconnects = 0
        self.auth: list[str | None] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.auth.append(request.headers.get("Authorization"))
        if request.headers.get("Authorization") != f"Bearer {KEY}":
            return web.json_response({"error": "bad key"}, status=401)
        body = await request.json()
        self.bodies.append(body)
        if self.fail:
            status = self.fail.pop(0)
            return web.json_response({"error": "busy"}, status=status,
                                     headers={"Retry-After": "0.2"} if status == 429 else {})
        if self.stall_s:
            await asyncio.sleep(self.stall_s)
        out = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await out.prepare(request)
        try:
            async with aiohttp.ClientSession() as session, session.post(
                    self.upstream + "/v1/chat/completions", json=body) as up:
                async for line in up.content:
                    await out.write(line)
            await out.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            self.disconnects += 1
            raise
        return out


@pytest.fixture
async def front(upstream: str) -> AsyncIterator[tuple[Front, str]]:
    f = Front(upstream)
    app = web.Application()
    app.router.add_post("/v1/chat/completions", f.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f, f"http://127.0.0.1:{port}/v1"
    await runner.cleanup()


def ask(text: str, **extra: Any) -> GenerateRequest:
    values: dict[str, Any] = {"max_new_tokens": 24, "temperature": 0.0}
    values.update(extra)
    return GenerateRequest(request_id="o1", messages=[ChatTurn(role="user", content=text)],
                           **values)


async def run(engine: OpenAIEngine, request: GenerateRequest,
              options: EngineOptions | None = None) -> tuple[str, list[str], Any]:
    deltas: list[str] = []
    shaper = TextShaper(request_stops(request), deltas.append)
    out = await engine.generate(request, shaper.feed, options or EngineOptions())
    return shaper.finish(out.finish_reason), deltas, out


async def test_streams_a_reply_from_a_real_server(front: tuple[Front, str], tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    f, url = front
    engine = create_engine(make_settings(tmp_path, generator_url=url, generator_api_key=KEY,
                                         generator_engine="openai"))
    assert isinstance(engine, OpenAIEngine) and KEY not in repr(engine)
    try:
        caplog.set_level(logging.DEBUG)
        f.fail = [429]  # one retry on the way, to have something logged
        text, deltas, out = await run(engine, ask("What is the capital of France?",
                                                  max_new_tokens=40, repetition_penalty=1.0))
    finally:
        await engine.aclose()
    assert len(text.split()) >= 3 and "".join(deltas) == text
    assert out.tokens > 0 and out.prompt_tokens > 0 and out.first_token_s is not None
    assert f.auth[-1] == f"Bearer {KEY}"
    assert f.bodies[-1]["stream"] is True and f.bodies[-1]["temperature"] == 0.0
    assert KEY not in caplog.text


async def test_429_and_5xx_are_retried_with_backoff(front: tuple[Front, str]) -> None:
    f, url = front
    engine = OpenAIEngine(url, api_key=KEY, retries=3, backoff_s=0.05)
    f.fail = [429, 429, 503]
    started = time.monotonic()
    try:
        text, _, _ = await run(engine, ask("Say hello."))
    finally:
        await engine.aclose()
    assert text
    assert len(f.bodies) == 4  # three refusals, then the answer
    assert time.monotonic() - started >= 0.4  # Retry-After 0.2 s honoured twice


async def test_a_server_that_keeps_failing_gives_one_clear_error(front: tuple[Front, str]
                                                                 ) -> None:
    f, url = front
    engine = OpenAIEngine(url, api_key=KEY, retries=2, backoff_s=0.01)
    f.fail = [503, 503, 503, 503]
    try:
        with pytest.raises(InferenceError, match=r"HTTP 503 \(after 3 tries"):
            await run(engine, ask("Say hello."))
        bad = OpenAIEngine(url, api_key="wrong", retries=0)
        with pytest.raises(InferenceError, match="HTTP 401"):
            await run(bad, ask("Say hello."))
        await bad.aclose()
    finally:
        await engine.aclose()


async def test_a_stalled_server_times_out(front: tuple[Front, str]) -> None:
    f, url = front
    f.stall_s = 3.0
    engine = OpenAIEngine(url, api_key=KEY, retries=0, timeout_s=0.5)
    try:
        with pytest.raises(InferenceError, match="Timeout"):
            await run(engine, ask("Say hello."))
    finally:
        await engine.aclose()


async def test_cancel_closes_the_stream(front: tuple[Front, str]) -> None:
    f, url = front
    engine = OpenAIEngine(url, api_key=KEY)
    got_first = asyncio.Event()

    def on_piece(_piece: str) -> bool:
        got_first.set()
        return False

    task = asyncio.create_task(engine.generate(
        ask("Write a very long essay about the history of Rome.", max_new_tokens=800),
        on_piece, EngineOptions(ignore_eos=True)))
    try:
        await asyncio.wait_for(got_first.wait(), 120)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        deadline = time.monotonic() + 20
        while f.disconnects == 0 and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        assert f.disconnects == 1
    finally:
        await engine.aclose()


def test_the_prompt_is_kept_within_a_character_budget() -> None:
    turns = [ChatTurn(role="system", content="s" * 10)] + [
        ChatTurn(role="user" if i % 2 == 0 else "assistant", content=str(i) * 100)
        for i in range(9)]
    kept = fit_by_chars(turns, 350)
    assert kept[0].role == "system" and kept[-1] == turns[-1]
    assert sum(len(t.content) for t in kept) <= 350
