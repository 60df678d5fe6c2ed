"""The ``openai`` engine: any OpenAI-compatible server (vLLM ``serve``, llama.cpp's server,
Ollama, TGI) over ``POST {BOTCORE_GENERATOR_URL}/chat/completions`` with SSE streaming.

- The key (``BOTCORE_GENERATOR_API_KEY`` or ``_FILE``) goes in the Authorization header only;
  it is never logged.
- Timeouts: connect 10 s, 60 s without a byte while streaming, ``reply_timeout_s`` in all.
- Retries with exponential backoff and jitter (up to ``retries`` times) on connection errors,
  5xx and 429 (``Retry-After`` honoured, at most 30 s) — only before the first token, so a
  reply is never streamed twice.
- Cancelling a request closes its HTTP stream: the server sees the disconnect and stops.
- The server owns the tokenizer: the prompt is kept within the context by a conservative
  character budget (about 3 characters a token), oldest turns dropped first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from typing import Any

import aiohttp

from botcore.errors import InferenceError
from botcore.inference.payloads import ChatTurn, GenerateRequest
from workers.model.engines.base import EngineOptions, EngineOutput, OnPiece, request_stops

log = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3
MAX_RETRY_AFTER_S = 30.0


class _Retry(Exception):
    def __init__(self, reason: str, wait_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.wait_s = reason, wait_s


def fit_by_chars(turns: list[ChatTurn], budget_chars: int) -> list[ChatTurn]:
    """Drop the oldest non-system turns (never the last user turn) until the text fits."""
    turns = list(turns)
    last_user = max((i for i, t in enumerate(turns) if t.role == "user"), default=-1)
    droppable = [i for i, t in enumerate(turns) if t.role != "system" and i != last_user]
    size = sum(len(t.content) for t in turns)
    dropped: set[int] = set()
    for i in droppable:
        if size <= budget_chars:
            break
        dropped.add(i)
        size -= len(turns[i].content)
    kept = [t for i, t in enumerate(turns) if i not in dropped]
    if size > budget_chars and last_user >= 0:  # still too long: keep the question's end
        excess = size - budget_chars
        kept = [ChatTurn(role=t.role, content=t.content[min(excess, len(t.content) - 1):])
                if t is turns[last_user] else t for t in kept]
    return kept


class OpenAIEngine:
    """Implements :class:`~workers.model.engines.base.GenerationEngine` over HTTP.

    Args:
        url: the server's base URL, up to and including ``/v1``.
        model: the model name sent with each request.
        api_key: the bearer token, if the server wants one.
        slots: streams open at once (the engine's capacity).
        timeout_s: the most one request may take.
        ctx: the server model's context in tokens (for the character budget).
        retries: attempts after the first one.
        backoff_s: the first retry's wait (doubled each time, with jitter).
    """

    name = "openai"

    def __init__(self, url: str, *, model: str = "default", api_key: str | None = None,
                 slots: int = 8, timeout_s: float = 120.0, ctx: int = 2048, retries: int = 3,
                 backoff_s: float = 0.5) -> None:
        self.url = url.rstrip("/") + "/chat/completions"
        self.model_name = model
        self._key = api_key
        self.slots, self.timeout_s, self.ctx = slots, timeout_s, ctx
        self.retries, self.backoff_s = retries, backoff_s
        self._session: aiohttp.ClientSession | None = None

    @property
    def capacity(self) -> int:
        return self.slots

    def __repr__(self) -> str:  # never the key
        return f"OpenAIEngine(url={self.url!r}, model={self.model_name!r})"

    async def start(self) -> None:
        if self._session is None:
            headers = {"Authorization": f"Bearer {self._key}"} if self._key else {}
            self._session = aiohttp.ClientSession(
                headers=headers, connector=aiohttp.TCPConnector(limit=self.slots + 2),
                timeout=aiohttp.ClientTimeout(total=self.timeout_s, connect=10, sock_read=60))

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def body(self, request: GenerateRequest, options: EngineOptions) -> dict[str, Any]:
        """The chat-completions request body."""
        budget = max(self.ctx - request.max_new_tokens, 16) * CHARS_PER_TOKEN
        turns = fit_by_chars(list(request.messages), budget)
        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": [{"role": t.role, "content": t.content} for t in turns],
            "max_tokens": request.max_new_tokens,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "stop": list(request_stops(request))[:4],  # OpenAI takes 4; the rest are cut here
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if request.seed is not None:
            body["seed"] = request.seed
        if request.repetition_penalty != 1.0:
            body["repetition_penalty"] = request.repetition_penalty  # vLLM, TGI, llama.cpp
        if options.ignore_eos:
            body["ignore_eos"] = True
        return body

    async def generate(self, request: GenerateRequest, on_piece: OnPiece,
                       options: EngineOptions) -> EngineOutput:
        await self.start()
        body = self.body(request, options)
        attempt = 0
        while True:
            try:
                return await self._once(body, on_piece)
            except _Retry as exc:
                if attempt >= self.retries:
                    raise InferenceError(f"generator server: {exc.reason} "
                                         f"(after {attempt + 1} tries)") from None
                wait = exc.wait_s if exc.wait_s is not None else \
                    self.backoff_s * (2 ** attempt) * (0.5 + random.random())
                attempt += 1
                log.warning("generator server: %s; retry %d in %.1f s", exc.reason, attempt,
                            wait)
                await asyncio.sleep(wait)

    async def _once(self, body: dict[str, Any], on_piece: OnPiece) -> EngineOutput:
        assert self._session is not None
        started = time.perf_counter()
        first: float | None = None
        finish: str | None = None
        usage: dict[str, Any] = {}
        pieces = 0
        try:
            async with self._session.post(self.url, json=body) as resp:
                if resp.status == 429 or resp.status >= 500:
                    wait = None
                    if resp.status == 429:
                        try:
                            wait = min(float(resp.headers.get("Retry-After", "")),
                                       MAX_RETRY_AFTER_S)
                        except ValueError:
                            wait = None
                    raise _Retry(f"HTTP {resp.status}", wait)
                if resp.status != 200:
                    text = (await resp.text())[:200]
                    raise InferenceError(f"generator server answered HTTP {resp.status}: {text}")
                async for raw in resp.content:
                    line = raw.decode("utf-8", "replace").strip()
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    try:
                        chunk = json.loads(data)
                    except ValueError:
                        continue
                    if chunk.get("error"):
                        raise InferenceError(f"generator server: {chunk['error']}")
                    usage = chunk.get("usage") or usage
                    for choice in chunk.get("choices") or ():
                        finish = choice.get("finish_reason") or finish
                        piece = (choice.get("delta") or {}).get("content")
                        if piece:
                            pieces += 1
                            if first is None:
                                first = time.perf_counter() - started
                            if on_piece(piece):
                                finish = "stop"
                                resp.close()  # stop the server generating
                                return self._output(usage, pieces, finish, first)
        except (TimeoutError, aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            if first is None:
                raise _Retry(type(exc).__name__) from None
            raise InferenceError(f"generator server stream broke: {type(exc).__name__}") \
                from None
        return self._output(usage, pieces, finish, first)

    @staticmethod
    def _output(usage: dict[str, Any], pieces: int, finish: str | None,
                first: float | None) -> EngineOutput:
        return EngineOutput(tokens=int(usage.get("completion_tokens", pieces)),
                            prompt_tokens=int(usage.get("prompt_tokens", 0)),
                            finish_reason="length" if finish == "length" else "stop",
                            first_token_s=first)
