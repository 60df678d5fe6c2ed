"""The instant model as a synchronous service, for workers in load tests (no torch)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from botcore.inference.payloads import GenerateRequest, GenerateResult, Understanding
from workers.instant import hashed_embedding, keyword_scores


class InstantService:
    """Same interface as ``workers.model.service.ModelService``, answering instantly.

    ``BOTCORE_INSTANT_DELAY_S`` adds a fixed delay per generation batch (to simulate a model in
    fault tests: a worker killed "mid-generation").
    """

    version = "instant"

    def __init__(self, delay_s: float | None = None) -> None:
        import os

        self.delay_s = float(os.environ.get("BOTCORE_INSTANT_DELAY_S", "0")) if delay_s is None \
            else delay_s

    def understand(self, texts: Sequence[str], with_embedding: bool = False) -> list[Understanding]:
        out = []
        for t in texts:
            scores = keyword_scores(t)
            out.append(Understanding(skill=max(scores, key=lambda k: scores[k]), scores=scores,
                                     safety={}, embedding=hashed_embedding(t) if with_embedding
                                     else None, model_version=self.version))
        return out

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [hashed_embedding(t) for t in texts]

    def generate(self, requests: Sequence[GenerateRequest],
                 on_text: Callable[[int, str], None] | None = None) -> list[GenerateResult]:
        if self.delay_s:
            time.sleep(self.delay_s)
        results = []
        for i, r in enumerate(requests):
            last = next((m.content for m in reversed(r.messages) if m.role == "user"), "")
            text = f"You said: {last}"
            if on_text is not None:
                on_text(i, text)
            results.append(GenerateResult(request_id=r.request_id, text=text,
                                          tokens=len(text.split()), model_version=self.version))
        return results
