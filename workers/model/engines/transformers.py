"""The ``transformers`` engine: any Hugging Face causal or seq2seq generator, continuously batched.

One scheduler thread owns a running batch. Between two decoding steps it admits waiting
requests (up to ``slots``) and drops finished or cancelled ones, so a short reply never waits
for the longest one in its batch (iteration-level scheduling):

- causal models: a new request is prefilled alone, then its KV cache is left-padded (or the
  batch's is) to one length and joins the batch; the attention mask hides the padding and each
  row keeps its own position ids. A row that leaves is sliced out of the cache.
- seq2seq models (flan-t5 style): the encoder runs once per request at admission; each step
  runs the decoder over every row's tokens so far (no decoder cache: simple, and fine for the
  small models this path serves on a CPU).

Each row samples with its own settings (temperature, top-p, top-k, a repetition penalty over
its own reply, no repeated n-grams, its own seed), stops at EOS, a stop string or its token cap,
and streams its text as it grows.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from botcore.errors import InferenceError
from botcore.inference.payloads import GenerateRequest
from workers.model.engines.base import EngineOptions, EngineOutput, OnPiece

log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Row:
    request: GenerateRequest
    on_piece: OnPiece
    options: EngineOptions
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[EngineOutput]
    started: float = field(default_factory=time.perf_counter)
    prompt: list[int] = field(default_factory=list)
    reply: list[int] = field(default_factory=list)
    text: str = ""
    position: int = 0  # the next token's position id (causal)
    first_token_s: float | None = None
    finish: str | None = None
    cancelled: bool = False
    rng: torch.Generator | None = None
    encoded: Any = None  # seq2seq: the encoder's states for this prompt [1, S, H]


def _no_repeat_ban(tokens: list[int], n: int) -> set[int]:
    """Tokens that would repeat an n-gram already in ``tokens``."""
    if n <= 0 or len(tokens) < n:
        return set()
    tail = tuple(tokens[len(tokens) - n + 1:])
    return {tokens[i + n - 1] for i in range(len(tokens) - n + 1)
            if tuple(tokens[i:i + n - 1]) == tail}


class TransformersEngine:
    """Implements :class:`~workers.model.engines.base.GenerationEngine` with a transformers model.

    Args:
        load: returns the loaded :class:`~workers.model.generator.Generator` (called lazily,
            in a worker thread, on first use).
        slots: the most rows decoded together.
    """

    name = "transformers"

    def __init__(self, load: Callable[[], Any], *, slots: int = 8) -> None:
        self._load = load
        self.slots = slots
        self.model_name = "transformers"
        self._incoming: queue.Queue[_Row | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.step_sizes: list[int] = []
        """Rows in each decoding step (the last 10,000; for tests and benchmarks)."""

    @property
    def capacity(self) -> int:
        return self.slots

    async def start(self) -> None:
        gen = await asyncio.to_thread(self._load)
        self.model_name = gen.name
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="botcore-decode",
                                                daemon=True)
                self._thread.start()

    async def generate(self, request: GenerateRequest, on_piece: OnPiece,
                       options: EngineOptions) -> EngineOutput:
        await self.start()
        loop = asyncio.get_running_loop()
        row = _Row(request, on_piece, options, loop, loop.create_future())
        self._incoming.put(row)
        try:
            return await asyncio.shield(row.future)
        except asyncio.CancelledError:
            row.cancelled = True  # leaves the batch before the next step
            raise

    async def aclose(self) -> None:
        if self._thread is not None:
            self._incoming.put(None)
            await asyncio.to_thread(self._thread.join, 30)
            self._thread = None

    # -- the scheduler thread -------------------------------------------------------------

    def _serve(self) -> None:
        batch = _Batch(self._load())
        while True:
            if not batch.rows:
                item = self._incoming.get()
                if item is None:
                    return
                pending = [item]
            else:
                pending = []
            while len(batch.rows) + len(pending) < self.slots:
                try:
                    item = self._incoming.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    batch.fail(InferenceError("the engine was closed"))
                    for row in pending:
                        _resolve(row, None, InferenceError("the engine was closed"))
                    return
                pending.append(item)
            try:
                if not batch.rows:  # a fresh batch picks up a reloaded generator (new LoRA)
                    batch.gen = self._load()
                for row in pending:
                    if not row.cancelled:
                        batch.admit(row)
                if batch.rows:
                    self.step_sizes.append(len(batch.rows))
                    del self.step_sizes[:-10_000]
                    batch.step()
            except Exception as exc:  # fail what is running, keep serving
                log.exception("decoding step failed")
                err = InferenceError(f"generation failed: {exc}")
                for row in pending:
                    if row not in batch.rows:
                        _resolve(row, None, err)
                batch.fail(err)
            batch.retire()


def _layers(cache: Any) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(layer.keys, layer.values) for layer in cache.layers]


def _cache_arg(model: Any) -> str:
    """The forward argument that takes the KV cache (``cache`` in newer transformers)."""
    import inspect

    params = inspect.signature(model.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def _resolve(row: _Row, out: EngineOutput | None, exc: BaseException | None = None) -> None:
    def settle() -> None:
        if row.future.done():
            return
        if exc is not None:
            row.future.set_exception(exc)
        else:
            row.future.set_result(out)  # type: ignore[arg-type]
    try:
        row.loop.call_soon_threadsafe(settle)
    except RuntimeError:  # its loop is closed: nobody waits any more
        pass


class _Batch:
    """The running rows and their shared decoding state."""

    def __init__(self, gen: Any) -> None:
        self.gen = gen
        self.rows: list[_Row] = []
        self.kv: list[tuple[torch.Tensor, torch.Tensor]] = []  # causal: per layer [B,H,T,D]
        self.mask: torch.Tensor | None = None  # causal: [B, T]

    @property
    def seq2seq(self) -> bool:
        return bool(self.gen.is_seq2seq)

    # admission ---------------------------------------------------------------------------

    @torch.inference_mode()
    def admit(self, row: _Row) -> None:
        gen = self.gen
        row.prompt = gen.prompt_ids(row.request)
        if row.request.seed is not None:
            row.rng = torch.Generator(device=gen.device).manual_seed(row.request.seed)
        ids = torch.tensor([row.prompt], device=gen.device)
        if self.seq2seq:
            row.encoded = gen.model.get_encoder()(input_ids=ids).last_hidden_state
            start = gen.model.config.decoder_start_token_id
            row.reply = []
            row.position = int(start if start is not None else gen.tokenizer.pad_token_id)
            self.rows.append(row)
            return
        from transformers import DynamicCache

        cache = DynamicCache()
        out = gen.model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=True,
                        **{_cache_arg(gen.model): cache})
        kv = _layers(cache)
        row.position = len(row.prompt)
        self._join(row, kv)
        self._take(row, out.logits[0, -1])

    def _join(self, row: _Row, kv: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        new_len = kv[0][0].shape[-2]
        new_mask = torch.ones((1, new_len), dtype=torch.long, device=self.gen.device)
        if not self.rows or self.mask is None:
            self.kv, self.mask, self.rows = kv, new_mask, [row]
            return
        old_len = self.mask.shape[1]
        width = max(old_len, new_len)

        def pad(t: torch.Tensor, by: int) -> torch.Tensor:
            if by == 0:
                return t
            shape = list(t.shape)
            shape[-2] = by
            return torch.cat([t.new_zeros(shape), t], dim=-2)

        self.kv = [(torch.cat([pad(k, width - old_len), pad(nk, width - new_len)]),
                    torch.cat([pad(v, width - old_len), pad(nv, width - new_len)]))
                   for (k, v), (nk, nv) in zip(self.kv, kv, strict=True)]
        self.mask = torch.cat([
            torch.nn.functional.pad(self.mask, (width - old_len, 0)),
            torch.nn.functional.pad(new_mask, (width - new_len, 0))])
        self.rows.append(row)

    # decoding ----------------------------------------------------------------------------

    @torch.inference_mode()
    def step(self) -> None:
        live = [r for r in self.rows if r.finish is None and not r.cancelled]
        if len(live) != len(self.rows):
            self.retire()
        if not self.rows:
            return
        logits = self._seq2seq_logits() if self.seq2seq else self._causal_logits()
        for row, scores in zip(list(self.rows), logits, strict=True):
            self._take(row, scores)

    def _causal_logits(self) -> torch.Tensor:
        from transformers import DynamicCache

        gen, device = self.gen, self.gen.device
        assert self.mask is not None
        last = torch.tensor([[r.reply[-1]] for r in self.rows], device=device)
        positions = torch.tensor([[r.position] for r in self.rows], device=device)
        mask = torch.cat([self.mask, torch.ones((len(self.rows), 1), dtype=self.mask.dtype,
                                                device=device)], dim=1)
        cache = DynamicCache(self.kv)
        out = gen.model(input_ids=last, attention_mask=mask, position_ids=positions,
                        use_cache=True, **{_cache_arg(gen.model): cache})
        self.kv = _layers(cache)
        self.mask = mask
        for r in self.rows:
            r.position += 1
        return out.logits[:, -1]

    def _seq2seq_logits(self) -> torch.Tensor:
        gen, device = self.gen, self.gen.device
        pad_id = int(gen.tokenizer.pad_token_id)
        enc_len = max(r.encoded.shape[1] for r in self.rows)
        dec = [[r.position, *r.reply] for r in self.rows]  # position holds the start token
        dec_len = max(len(d) for d in dec)
        states = torch.cat([torch.nn.functional.pad(r.encoded, (0, 0, 0, enc_len -
                                                                r.encoded.shape[1]))
                            for r in self.rows])
        enc_mask = torch.tensor([[1] * r.encoded.shape[1] + [0] * (enc_len - r.encoded.shape[1])
                                 for r in self.rows], device=device)
        dec_ids = torch.tensor([d + [pad_id] * (dec_len - len(d)) for d in dec], device=device)
        dec_mask = torch.tensor([[1] * len(d) + [0] * (dec_len - len(d)) for d in dec],
                                device=device)
        from transformers.modeling_outputs import BaseModelOutput

        out = gen.model(encoder_outputs=BaseModelOutput(last_hidden_state=states),
                        attention_mask=enc_mask, decoder_input_ids=dec_ids,
                        decoder_attention_mask=dec_mask, use_cache=False)
        index = torch.tensor([len(d) - 1 for d in dec], device=device)
        return out.logits[torch.arange(len(dec), device=device), index]

    def _take(self, row: _Row, scores: torch.Tensor) -> None:
        """Pick the row's next token from ``scores`` and update its text and state."""
        gen, req = self.gen, row.request
        scores = scores.float().clone()
        eos = gen.eos_ids
        if row.options.ignore_eos:
            scores[list(eos)] = float("-inf")
        if req.repetition_penalty != 1.0 and row.reply:
            ids = torch.tensor(sorted(set(row.reply)), device=scores.device)
            picked = scores[ids]
            scores[ids] = torch.where(picked < 0, picked * req.repetition_penalty,
                                      picked / req.repetition_penalty)
        history = [row.position, *row.reply] if self.seq2seq else row.prompt + row.reply
        banned = _no_repeat_ban(history, gen.defaults.no_repeat_ngram_size)
        if banned:
            scores[list(banned)] = float("-inf")
        if req.temperature <= 0:
            token = int(torch.argmax(scores))
        else:
            scores = scores / req.temperature
            top_k = gen.defaults.top_k
            if top_k > 0:
                kth = torch.topk(scores, min(top_k, scores.shape[-1])).values[-1]
                scores[scores < kth] = float("-inf")
            probs = torch.softmax(scores, dim=-1)
            if req.top_p < 1.0:
                sorted_p, order = torch.sort(probs, descending=True)
                drop = torch.cumsum(sorted_p, dim=-1) - sorted_p > req.top_p
                sorted_p[drop] = 0.0
                probs = torch.zeros_like(probs).scatter(0, order, sorted_p)
            token = int(torch.multinomial(probs, 1, generator=row.rng))
        if row.first_token_s is None:
            row.first_token_s = time.perf_counter() - row.started
        if token in eos:
            row.finish = "stop"
            return
        row.reply.append(token)
        text = gen.tokenizer.decode(row.reply, skip_special_tokens=True)
        if not text.endswith("\ufffd") and text.startswith(row.text):
            piece, row.text = text[len(row.text):], text
            if piece and row.on_piece(piece):
                row.finish = "stop"
                return
        if len(row.reply) >= req.max_new_tokens:
            row.finish = "length"
        elif not self.seq2seq and row.position + 1 >= gen.context:
            row.finish = "length"

    # leaving -----------------------------------------------------------------------------

    def retire(self) -> None:
        """Resolve finished rows and slice them (and cancelled ones) out of the batch."""
        keep = []
        for i, row in enumerate(self.rows):
            if row.finish is not None:
                _resolve(row, EngineOutput(tokens=len(row.reply),
                                           prompt_tokens=len(row.prompt),
                                           finish_reason="length" if row.finish == "length"
                                           else "stop", first_token_s=row.first_token_s))
            elif not row.cancelled:
                keep.append(i)
        if len(keep) == len(self.rows):
            return
        self.rows = [self.rows[i] for i in keep]
        if self.seq2seq or self.mask is None:
            return
        if not keep:
            self.kv, self.mask = [], None
            return
        index = torch.tensor(keep, device=self.mask.device)
        mask = self.mask.index_select(0, index)
        used = torch.nonzero(mask.any(dim=0))
        first = int(used[0]) if len(used) else 0  # drop columns that are padding for all
        self.mask = mask[:, first:]
        self.kv = [(k.index_select(0, index)[:, :, first:], v.index_select(0, index)[:, :, first:])
                   for k, v in self.kv]

    def fail(self, exc: BaseException) -> None:
        for row in self.rows:
            _resolve(row, None, exc)
        self.rows, self.kv, self.mask = [], [], None
