"""The generation engine seam: one small interface in front of every way to run the generator.

An engine runs on one asyncio loop (the :class:`~workers.model.engines.host.EngineHost`'s) and
turns a :class:`~botcore.inference.payloads.GenerateRequest` into raw text pieces, handed to
``on_piece`` as they are decoded, and one :class:`EngineOutput`. ``on_piece`` returns True to
stop the generation early (a stop string the engine did not catch itself). Cancelling the
``generate`` coroutine cancels the request inside the engine (a llama.cpp slot is freed, a
batch row leaves, an HTTP stream is closed). ``capacity`` is how many requests the engine
decodes at once; the host queues the rest, in order.

:class:`TextShaper` makes every engine stream alike: it cuts at stop strings, streams whole
sentences only, and trims a reply cut by the token limit, so the streamed deltas always add up
to the final text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from botcore.inference.payloads import GenerateRequest
from workers.model.textproc import cut_at_stop, default_stops, last_sentence_end, trim_unfinished

ENGINES: tuple[str, ...] = ("auto", "llamacpp", "transformers", "openai", "vllm")
"""The values of ``BOTCORE_GENERATOR_ENGINE``."""

OnPiece = Callable[[str], bool]
"""Receives each raw text piece; returns True to stop the generation."""

FinishReason = Literal["stop", "length"]


@dataclass(frozen=True, slots=True)
class EngineOutput:
    """What an engine reports when a request ends.

    Attributes:
        tokens: new tokens generated.
        prompt_tokens: tokens of the prompt after fitting it to the context.
        finish_reason: ``stop`` (EOS or a stop string) or ``length`` (the token cap).
        first_token_s: seconds from the start of the request to its first new token.
    """

    tokens: int
    prompt_tokens: int
    finish_reason: FinishReason
    first_token_s: float | None = None


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Per-request switches that are not part of the wire payload.

    Attributes:
        ignore_eos: keep decoding past EOS until ``max_new_tokens`` (benchmarks: equal work).
    """

    ignore_eos: bool = False


class GenerationEngine(Protocol):
    """One way to run the generator. Methods run on the host's event loop."""

    name: str
    """The engine's name (``llamacpp``, ``transformers``, ``openai``, ``vllm``, ``batch``)."""
    model_name: str
    """The generator it serves (for logs, ``botctl model bench``)."""

    @property
    def capacity(self) -> int:
        """How many requests it decodes at once."""
        ...

    async def start(self) -> None:
        """Load the model or open connections (idempotent)."""
        ...

    async def generate(self, request: GenerateRequest, on_piece: OnPiece,
                       options: EngineOptions) -> EngineOutput:
        """Run one request to its end, handing raw text pieces to ``on_piece``."""
        ...

    async def aclose(self) -> None:
        """Release the model and connections."""
        ...


def request_stops(request: GenerateRequest) -> tuple[str, ...]:
    """The request's stop strings plus the role-leak stops every request gets."""
    return tuple(s for s in (*request.stop, *default_stops()) if s)


class TextShaper:
    """Turns raw pieces into sentence-wise deltas and the final reply text.

    Args:
        stops: stop strings; text from the first one on is dropped.
        emit: receives each delta (whole sentences while streaming).
    """

    def __init__(self, stops: Sequence[str], emit: Callable[[str], None] | None) -> None:
        self.stops = tuple(stops)
        self.hold = max((len(s) for s in self.stops), default=1)
        self.emit = emit
        self.raw = ""
        self.emitted = ""
        self.stopped = False

    def feed(self, piece: str) -> bool:
        """Add a raw piece; returns True once a stop string was seen (stop generating)."""
        if self.stopped:
            return True
        self.raw += piece
        text, hit = cut_at_stop(self.raw.lstrip(), self.stops)
        if hit:
            self.stopped = True
            return True
        visible = text[: max(len(text) - self.hold + 1, 0)]
        self._emit(visible[: last_sentence_end(visible)].rstrip())
        return False

    def _emit(self, text: str) -> None:
        if self.emit is None or not text.startswith(self.emitted):
            return
        delta = text[len(self.emitted):]
        if delta:
            self.emitted = text
            self.emit(delta)

    def finish(self, reason: str) -> str:
        """The final text (cut at a stop; an unfinished sentence trimmed when cut by length),
        after emitting what was not streamed yet."""
        text, _ = cut_at_stop(self.raw.lstrip(), self.stops)
        text = text.rstrip()
        if reason == "length" and not self.stopped:
            text = trim_unfinished(text)
        self._emit(text)
        return text
