"""The ``vllm`` engine: vLLM's async engine in-process, for GPU workers (``pip install
botcore[worker,vllm]``; vLLM needs CUDA).

vLLM does its own continuous batching (``max_num_seqs`` = slots, paged KV cache). Prompts are
rendered with the model's chat template and fitted to ``max_model_len`` by token count with
the model's own tokenizer, as in the transformers engine. vLLM streams the whole text so far;
:func:`consume` turns that into pieces. Cancelling aborts the request inside vLLM.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from botcore.errors import InferenceError
from botcore.inference.payloads import GenerateRequest
from workers.model.engines.base import EngineOptions, EngineOutput, OnPiece, request_stops
from workers.model.prompting import fit_turns, render_text

TOP_K = 40


def sampling_kwargs(request: GenerateRequest, options: EngineOptions) -> dict[str, Any]:
    """``vllm.SamplingParams`` arguments for ``request`` (greedy when temperature is 0)."""
    kwargs: dict[str, Any] = {
        "n": 1,
        "max_tokens": request.max_new_tokens,
        "temperature": request.temperature,
        "top_p": request.top_p if request.temperature > 0 else 1.0,
        "top_k": TOP_K if request.temperature > 0 else -1,
        "repetition_penalty": request.repetition_penalty,
        "stop": list(request_stops(request)),
        "ignore_eos": options.ignore_eos,
    }
    if request.seed is not None:
        kwargs["seed"] = request.seed
    return kwargs


async def consume(stream: AsyncIterator[Any], on_piece: OnPiece, started: float
                  ) -> tuple[EngineOutput, bool]:
    """Read vLLM ``RequestOutput``s (cumulative text) into pieces.

    Returns:
        The output, and whether ``on_piece`` asked to stop (the caller aborts the request).
    """
    seen, first = "", None
    tokens, prompt_tokens, finish = 0, 0, None
    async for out in stream:
        prompt_tokens = len(out.prompt_token_ids or ())
        completion = out.outputs[0]
        tokens = len(completion.token_ids)
        finish = completion.finish_reason or finish
        text = completion.text
        if len(text) > len(seen) and text.startswith(seen):
            piece, seen = text[len(seen):], text
            if first is None:
                first = time.perf_counter() - started
            if on_piece(piece):
                return EngineOutput(tokens, prompt_tokens, "stop", first), True
        if out.finished:
            break
    return EngineOutput(tokens, prompt_tokens, "length" if finish == "length" else "stop",
                        first), False


class VLLMEngine:
    """Implements :class:`~workers.model.engines.base.GenerationEngine` with vLLM.

    Args:
        model: an HF id or a local folder (vLLM does not load GGUF chat models well: use the
            converted folder or the original HF weights).
        slots: ``max_num_seqs``.
        ctx: ``max_model_len``.
        gpu_memory_utilization: the share of GPU memory vLLM may take.
    """

    name = "vllm"

    def __init__(self, model: str, *, slots: int = 64, ctx: int = 2048,
                 gpu_memory_utilization: float = 0.5) -> None:
        self.model_name, self.slots, self.ctx = model, slots, ctx
        self.gpu_memory_utilization = gpu_memory_utilization
        self._engine: Any = None
        self._tokenizer: Any = None
        self._lock = asyncio.Lock()

    @property
    def capacity(self) -> int:
        return self.slots

    async def start(self) -> None:
        async with self._lock:
            if self._engine is not None:
                return
            try:
                from vllm import AsyncEngineArgs, AsyncLLMEngine
            except ImportError as exc:
                raise InferenceError("the vllm engine needs vLLM and a CUDA GPU "
                                     "(pip install 'botcore[worker,vllm]')") from exc
            from transformers import AutoTokenizer

            args = AsyncEngineArgs(model=self.model_name, max_num_seqs=self.slots,
                                   max_model_len=self.ctx,
                                   gpu_memory_utilization=self.gpu_memory_utilization)
            self._engine = AsyncLLMEngine.from_engine_args(args)
            self._tokenizer = await asyncio.to_thread(AutoTokenizer.from_pretrained,
                                                      self.model_name)

    def prompt(self, request: GenerateRequest) -> str:
        """The chat-template prompt, fitted to the context minus the reply budget."""
        budget = max(self.ctx - request.max_new_tokens, 16)
        return render_text(self._tokenizer, fit_turns(self._tokenizer, request.messages, budget))

    async def generate(self, request: GenerateRequest, on_piece: OnPiece,
                       options: EngineOptions) -> EngineOutput:
        await self.start()
        from vllm import SamplingParams

        rid = f"{request.request_id}-{uuid.uuid4().hex[:8]}"
        params = SamplingParams(**sampling_kwargs(request, options))
        stream = self._engine.generate(self.prompt(request), params, rid)
        try:
            out, stop = await consume(stream, on_piece, time.perf_counter())
        except asyncio.CancelledError:
            await self._engine.abort(rid)
            raise
        if stop:
            await self._engine.abort(rid)
        return out

    async def aclose(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None and hasattr(engine, "shutdown"):
            engine.shutdown()
