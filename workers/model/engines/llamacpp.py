"""The ``llamacpp`` engine: llama.cpp's own server loop in-process, through the ``xllamacpp`` wheel.

The GGUF file is loaded directly (no conversion). ``n_parallel`` slots decode concurrent
requests together (continuous batching: a request joins and leaves between decoding steps).
Each request blocks one thread of a small pool inside ``Server.handle_chat_completions``
while its deltas arrive through a callback; the callback returning True cancels the request
and frees its slot.

The prompt is fitted to a slot's context by token count with the model's own tokenizer and
chat template, asked from the server's loopback HTTP listener (``/tokenize``,
``/apply-template``), which is guarded by a random API key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from botcore.errors import InferenceError
from botcore.inference.payloads import ChatTurn, GenerateRequest
from workers.model.engines.base import EngineOptions, EngineOutput, OnPiece, request_stops
from workers.model.prompting import fit_turns

log = logging.getLogger(__name__)

TOP_K = 40
"""Sample among at most this many tokens (as the transformers engine does)."""
TURN_OVERHEAD = 12
"""Template tokens per turn, generously (``<|im_start|>role\\n … <|im_end|>\\n``)."""
TEMPLATE_OVERHEAD = 64
"""Template tokens per prompt (a default system prompt, the generation prompt)."""


class ServerTokenizer:
    """The GGUF's tokenizer and chat template, through the server's loopback listener.

    It offers the few tokenizer calls :func:`workers.model.prompting.fit_turns` makes.
    """

    chat_template = "gguf"

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url, self._key = base_url.rstrip("/"), api_key
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(
            self.base_url + path, data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self._key}"})
        with self._opener.open(req, timeout=30) as resp:
            data: dict[str, Any] = json.loads(resp.read())
        return data

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict[str, list[int]]:
        tokens = self._post("/tokenize", {"content": text, "add_special": add_special_tokens})
        return {"input_ids": [int(t) for t in tokens["tokens"]]}

    def decode(self, ids: list[int], skip_special_tokens: bool = True) -> str:
        return str(self._post("/detokenize", {"tokens": list(ids)})["content"])

    def apply_chat_template(self, messages: list[dict[str, str]], tokenize: bool = False,
                            add_generation_prompt: bool = True) -> str:
        return str(self._post("/apply-template", {"messages": messages})["prompt"])


def default_threads() -> int:
    """llama.cpp threads when none are configured: the CPUs this process may use (≤ 16)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    return max(1, min(n, 16))


CLOSE_TIMEOUT_S = 3.0
"""How long closing waits for running generations to stop at their next token."""


class LlamaCppEngine:
    """Implements :class:`~workers.model.engines.base.GenerationEngine` with xllamacpp.

    Args:
        gguf: the model file.
        model_name: the configured name (for logs).
        slots: parallel sequences (the engine's capacity).
        ctx: context per slot in tokens (prompt + reply).
        threads: decoding threads (0 = :func:`default_threads`).
    """

    name = "llamacpp"

    def __init__(self, gguf: Path, model_name: str, *, slots: int = 8, ctx: int = 2048,
                 threads: int = 0) -> None:
        self.gguf, self.model_name = gguf, model_name
        self.slots, self.ctx = slots, ctx
        self.threads = threads or default_threads()
        self._server: Any = None
        self._tokenizer: ServerTokenizer | None = None
        self._pool = ThreadPoolExecutor(max_workers=slots + 2, thread_name_prefix="llamacpp")
        self._start_lock = asyncio.Lock()
        self._inflight: dict[threading.Event, asyncio.Future[EngineOutput]] = {}
        self.load_s: float | None = None

    @property
    def capacity(self) -> int:
        return self.slots

    async def start(self) -> None:
        async with self._start_lock:
            if self._server is None:
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(self._pool, self._load)

    def _load(self) -> None:
        try:
            import xllamacpp as xlc
        except ImportError as exc:
            raise InferenceError("the llamacpp engine needs the xllamacpp package "
                                 "(pip install xllamacpp)") from exc
        started = time.perf_counter()
        params = xlc.CommonParams()
        params.model.path = str(self.gguf)
        params.n_parallel = self.slots
        params.n_ctx = self.slots * self.ctx
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.warmup = False
        params.verbosity = 3 if log.isEnabledFor(logging.DEBUG) else -1
        key = secrets.token_urlsafe(24)
        params.api_keys = [key]  # the loopback listener answers only us
        try:
            server = xlc.Server(params)
        except Exception as exc:
            raise InferenceError(f"cannot load {self.gguf.name} with llama.cpp: {exc}") from exc
        self._tokenizer = ServerTokenizer(server.listening_address, key)
        self._server = server
        self.load_s = time.perf_counter() - started
        log.info("llamacpp engine: %s loaded in %.1f s (%d slots x %d tokens, %d threads)",
                 self.gguf.name, self.load_s, self.slots, self.ctx, self.threads)

    def fit(self, request: GenerateRequest) -> list[ChatTurn]:
        """The request's turns, the oldest dropped until the prompt fits a slot's context."""
        budget = max(self.ctx - request.max_new_tokens, 16)
        turns = list(request.messages)
        # A token is at least one byte: a prompt this short fits without asking the tokenizer.
        size = sum(len(t.content.encode()) + TURN_OVERHEAD for t in turns) + TEMPLATE_OVERHEAD
        if size <= budget:
            return turns
        assert self._tokenizer is not None
        return fit_turns(self._tokenizer, turns, budget)

    def body(self, request: GenerateRequest, turns: list[ChatTurn],
             options: EngineOptions) -> dict[str, Any]:
        """The chat-completions request sent to llama.cpp."""
        body: dict[str, Any] = {
            "messages": [{"role": t.role, "content": t.content} for t in turns],
            "max_tokens": request.max_new_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": request.temperature,
            "top_p": request.top_p,
            "top_k": TOP_K if request.temperature > 0 else 1,
            "repeat_penalty": request.repetition_penalty,
            "repeat_last_n": 64,
            "stop": list(request_stops(request)),
            "seed": request.seed if request.seed is not None else -1,
            "cache_prompt": True,
        }
        if request.repetition_penalty > 1.0:  # DRY: the n-gram loop breaker of llama.cpp
            body.update(dry_multiplier=0.8, dry_base=1.75, dry_allowed_length=3)
        if options.ignore_eos:
            body["ignore_eos"] = True
        return body

    async def generate(self, request: GenerateRequest, on_piece: OnPiece,
                       options: EngineOptions) -> EngineOutput:
        await self.start()
        cancel = threading.Event()
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(self._pool, self._generate, request, on_piece, options,
                                   cancel)
        self._inflight[cancel] = fut
        try:
            return await asyncio.shield(fut)
        except asyncio.CancelledError:
            cancel.set()  # the next callback returns True: llama.cpp frees the slot
            raise
        finally:
            self._inflight.pop(cancel, None)

    def _generate(self, request: GenerateRequest, on_piece: OnPiece, options: EngineOptions,
                  cancel: threading.Event) -> EngineOutput:
        started = time.perf_counter()
        turns = self.fit(request)
        state: dict[str, Any] = {"first": None, "finish": None, "usage": None, "error": None,
                                 "pieces": 0}

        def callback(chunk: dict[str, Any]) -> bool:
            if cancel.is_set():
                return True
            if "error" in chunk or ("code" in chunk and "choices" not in chunk):
                err = chunk.get("error", chunk)
                state["error"] = err.get("message", str(err)) if isinstance(err, dict) else err
                return True
            if chunk.get("usage"):
                state["usage"] = chunk["usage"]
            for choice in chunk.get("choices") or ():
                if choice.get("finish_reason"):
                    state["finish"] = choice["finish_reason"]
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    state["pieces"] += 1
                    if state["first"] is None:
                        state["first"] = time.perf_counter() - started
                    if on_piece(piece):
                        state["finish"] = "stop"
                        return True
            return False

        self._server.handle_chat_completions(self.body(request, turns, options), callback)
        if state["error"] is not None:
            raise InferenceError(f"llama.cpp: {state['error']}")
        usage = state["usage"] or {}
        return EngineOutput(
            tokens=int(usage.get("completion_tokens", state["pieces"])),
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            finish_reason="length" if state["finish"] == "length" else "stop",
            first_token_s=state["first"])

    async def aclose(self) -> None:
        """Stop every generation at its next token and release llama.cpp.

        Waits at most ``CLOSE_TIMEOUT_S`` seconds for running generations to notice; the server is only
        released once none runs (a generation still inside llama.cpp then ends at its next
        token, and the process can exit without waiting for whole replies).
        """
        server, self._server = self._server, None
        for cancel in list(self._inflight):
            cancel.set()
        running = [f for f in self._inflight.values() if not f.done()]
        if running:
            _, pending = await asyncio.wait(running, timeout=CLOSE_TIMEOUT_S)
            if pending:
                log.warning("llamacpp engine: %d generation(s) still stopping at close",
                            len(pending))
                self._pool.shutdown(wait=False, cancel_futures=True)
                return
        if server is not None:
            del server  # ~Server stops llama.cpp's loop
        self._pool.shutdown(wait=False, cancel_futures=True)
