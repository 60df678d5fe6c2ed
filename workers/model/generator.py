"""The generator: any HF causal LM or seq2seq model, batched, streamed, with stop strings.

Requests in one call are grouped by their sampling parameters and each group runs as one left-padded
batch. A :class:`_Tracker` (a stopping criterion) watches every row after each decoding step: it
ends a row at EOS, at a stop string or at that row's own ``max_new_tokens``, and streams text
sentence by sentence, so the streamed pieces always add up to the final text.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import LogitsProcessor, LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

from botcore.errors import InferenceError
from botcore.inference.payloads import GenerateRequest, GenerateResult
from workers.model.convert import convert_gguf
from workers.model.devices import preferred_dtype
from workers.model.prompting import fit_turns, render_text
from workers.model.sources import ModelSource
from workers.model.textproc import cut_at_stop, default_stops, last_sentence_end, trim_unfinished

log = logging.getLogger(__name__)

OnText = Callable[[int, str], None]


@dataclass(frozen=True, slots=True)
class GenerationDefaults:
    """Decoding settings that requests do not carry.

    Attributes:
        no_repeat_ngram_size: forbid repeating any n-gram of this size (0 = off).
        max_context: cap on the model context used for prompts (tokens).
        top_k: sample among at most this many tokens (with ``top_p``); 0 = off.
    """

    no_repeat_ngram_size: int = 4
    max_context: int = 2048
    top_k: int = 40


class ReplyRepetitionPenalty(LogitsProcessor):
    """CTRL-style repetition penalty over the reply's own tokens only.

    transformers' built-in penalty also punishes every prompt token, which pushes a small model
    away from ordinary words ("I", "you", the user's topic) into emoji and drift.
    """

    def __init__(self, penalty: float, start: int) -> None:
        self.penalty, self.start = penalty, start

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor
                 ) -> torch.FloatTensor:
        generated = input_ids[:, self.start :]
        if self.penalty == 1.0 or generated.shape[1] == 0:
            return scores
        picked = torch.gather(scores, 1, generated)
        picked = torch.where(picked < 0, picked * self.penalty, picked / self.penalty)
        return scores.scatter(1, generated, picked)  # type: ignore[return-value]


class _Tracker(StoppingCriteria):
    """Ends rows at EOS / stop strings / their own token cap and streams their text."""

    def __init__(self, gen: Generator, start: int, rows: Sequence[tuple[int, GenerateRequest]],
                 on_text: OnText | None) -> None:
        self.gen, self.start, self.rows, self.on_text = gen, start, rows, on_text
        n = len(rows)
        self.done = [False] * n
        self.reason = ["length"] * n
        self.ntok = [0] * n
        self.text = [""] * n
        self.emitted = [""] * n
        self.stops = [tuple(req.stop) + default_stops() for _, req in rows]
        self.hold = [max(len(s) for s in stops) for stops in self.stops]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor,
                 **kwargs: Any) -> torch.BoolTensor:
        generated = input_ids[:, self.start :].tolist()
        for i, ids in enumerate(generated):
            if not self.done[i]:
                self._update(i, ids)
        return torch.tensor(self.done, dtype=torch.bool, device=input_ids.device)  # type: ignore[return-value]

    def _update(self, i: int, ids: list[int]) -> None:
        eos = self.gen.eos_ids
        if ids and ids[-1] in eos:
            self.done[i], self.reason[i], ids = True, "stop", ids[:-1]
        text = self.gen.tokenizer.decode(ids, skip_special_tokens=True).lstrip()
        text, hit = cut_at_stop(text, self.stops[i])
        if hit:
            self.done[i], self.reason[i] = True, "stop"
        elif not self.done[i] and len(ids) >= self.rows[i][1].max_new_tokens:
            self.done[i] = True
        self.ntok[i], self.text[i] = len(ids), text
        if not self.done[i]:
            visible = text[: max(len(text) - self.hold[i] + 1, 0)]
            self._emit(i, visible[: last_sentence_end(visible)].rstrip())

    def final_text(self, i: int) -> str:
        """The finished reply of row ``i`` (a trailing fragment trimmed when cut by length)."""
        text = self.text[i].rstrip()
        if self.reason[i] == "length" or not self.done[i]:
            text = trim_unfinished(text)
        return text

    def _emit(self, i: int, text: str) -> None:
        if self.on_text is None or not text.startswith(self.emitted[i]):
            return
        delta = text[len(self.emitted[i]) :]
        if delta:
            self.emitted[i] = text
            self.on_text(self.rows[i][0], delta)

    def finish(self, i: int) -> str:
        """Emit what remains of row ``i`` and return its final text."""
        text = self.final_text(i)
        self._emit(i, text)
        return text


class Generator:
    """A loaded generator model with its tokenizer."""

    def __init__(self, model: Any, tokenizer: Any, device: torch.device, name: str,
                 defaults: GenerationDefaults | None = None) -> None:
        self.model, self.tokenizer, self.device, self.name = model, tokenizer, device, name
        self.defaults = defaults or GenerationDefaults()
        self.is_seq2seq = bool(getattr(model.config, "is_encoder_decoder", False))
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        tokenizer.padding_side = "right" if self.is_seq2seq else "left"
        eos = getattr(model.generation_config, "eos_token_id", None) or tokenizer.eos_token_id
        self.eos_ids = set(eos if isinstance(eos, list) else [eos])
        self.context = min(self._model_context(), self.defaults.max_context)

    def _model_context(self) -> int:
        cfg = self.model.config
        for attr in ("max_position_embeddings", "n_positions", "max_sequence_length"):
            value = getattr(cfg, attr, None)
            if isinstance(value, int) and value > 0:
                return value
        limit = getattr(self.tokenizer, "model_max_length", 0)
        return int(limit) if 0 < limit < 1_000_000 else 512

    @classmethod
    def load(cls, source: ModelSource, device: torch.device, data_dir: Path,
             defaults: GenerationDefaults | None = None) -> Generator:
        """Load ``source`` (converting a GGUF once into ``data_dir``) onto ``device``.

        Raises:
            InferenceError: the model cannot be loaded.
        """
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        started = time.perf_counter()
        location = source.location
        if source.gguf_file:
            location = str(convert_gguf(source, data_dir))
        local = Path(location).is_dir()
        try:
            config = AutoConfig.from_pretrained(location, local_files_only=local)
            auto = AutoModelForSeq2SeqLM if config.is_encoder_decoder else AutoModelForCausalLM
            model = auto.from_pretrained(location, dtype=preferred_dtype(device),
                                         local_files_only=local)
            tokenizer = AutoTokenizer.from_pretrained(location, local_files_only=local)
        except (OSError, ValueError) as exc:
            raise InferenceError(f"cannot load generator {source.name!r}: {exc}") from exc
        model.to(device).eval()  # type: ignore[arg-type]
        log.info("generator %s loaded on %s in %.1f s", source.name, device,
                 time.perf_counter() - started)
        return cls(model, tokenizer, device, source.name, defaults)

    def prompt_ids(self, request: GenerateRequest) -> list[int]:
        """The prompt token ids of ``request``, fitted to the context minus its reply budget."""
        budget = max(self.context - request.max_new_tokens, 16)
        turns = fit_turns(self.tokenizer, request.messages, budget)
        ids: list[int] = self.tokenizer(render_text(self.tokenizer, turns),
                                        add_special_tokens=self.is_seq2seq)["input_ids"]
        return ids[-budget:]

    def generate(self, requests: Sequence[GenerateRequest],
                 on_text: OnText | None = None) -> list[GenerateResult]:
        """Generate one reply per request; batched per group of equal sampling parameters."""
        groups: dict[tuple[Any, ...], list[int]] = {}
        for i, req in enumerate(requests):
            key = (req.temperature, req.top_p, req.repetition_penalty, req.seed)
            groups.setdefault(key, []).append(i)
        results: list[GenerateResult | None] = [None] * len(requests)
        for indices in groups.values():
            for i, res in zip(indices, self._generate_group(
                    [(i, requests[i]) for i in indices], on_text), strict=True):
                results[i] = res
        return [r for r in results if r is not None]

    @torch.inference_mode()
    def _generate_group(self, rows: Sequence[tuple[int, GenerateRequest]],
                        on_text: OnText | None) -> list[GenerateResult]:
        started = time.perf_counter()
        first = rows[0][1]
        prompts = [self.prompt_ids(req) for _, req in rows]
        batch = self.tokenizer.pad({"input_ids": prompts}, return_tensors="pt").to(self.device)
        start = 1 if self.is_seq2seq else batch["input_ids"].shape[1]
        tracker = _Tracker(self, start, rows, on_text)
        kwargs: dict[str, Any] = {
            "max_new_tokens": max(req.max_new_tokens for _, req in rows),
            "logits_processor": LogitsProcessorList([
                ReplyRepetitionPenalty(first.repetition_penalty, start)]),
            "no_repeat_ngram_size": self.defaults.no_repeat_ngram_size,
            "stopping_criteria": StoppingCriteriaList([tracker]),
            "pad_token_id": self.tokenizer.pad_token_id,
            "eos_token_id": sorted(self.eos_ids),
        }
        if first.temperature > 0:
            kwargs.update(do_sample=True, temperature=first.temperature, top_p=first.top_p,
                          top_k=self.defaults.top_k)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if first.seed is not None:
            torch.manual_seed(first.seed)
        try:
            self.model.generate(**batch, **kwargs)
        except (RuntimeError, ValueError) as exc:
            raise InferenceError(f"generation failed: {exc}") from exc
        elapsed = (time.perf_counter() - started) * 1000
        out = []
        for j, (_, req) in enumerate(rows):
            text = tracker.finish(j)
            out.append(GenerateResult(
                request_id=req.request_id, text=text, tokens=tracker.ntok[j],
                prompt_tokens=len(prompts[j]),
                finish_reason="stop" if tracker.reason[j] == "stop" else "length",
                elapsed_ms=elapsed))
        return out
