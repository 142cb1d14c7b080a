"""A mean-pooled sentence-transformers model run as one traced graph that oneDNN fuses.

Eager PyTorch runs a BERT layer as a dozen separate kernels; oneDNN Graph (PyTorch's
TorchScript fuser for CPUs) runs each matrix product together with its bias, GELU, residual add
and scaling, in bfloat16 on AMX or AVX512-BF16. On the 2-core AMX Xeon this embeds 100-word
chunks 1.2-1.5x faster than sentence-transformers' own ``encode`` (the longer the chunk, the
larger the gain), with vectors at cosine 0.9999+ to it (benchmarks/README.md, "Fused graph").

Why TorchScript rather than ``torch.compile``: both gave the same speed here, but the compiler
takes ~30 s and a C++ toolchain on first use, while one trace takes 0.5 s and serves every
batch shape; oneDNN then specialises each padded shape once (~0.1 s). PyTorch 2.13 marks
TorchScript deprecated: when a later PyTorch drops it, tracing raises and builds embed eagerly
(a logged warning), so the pinned version is the only thing this speed depends on. Batches are
padded to a multiple of ``LENGTH_STEP`` tokens so that a build meets a few shapes, not hundreds.

Attention is the one choice that depends on the CPU. On AMX, PyTorch's flash kernel ran attention
as fast as anything tried (the traced eager attention was 0.95x); on an AVX512-BF16 CPU without AMX
(AMD Zen 4) the flash kernel took 29% of the time, and tracing the model's eager attention, whose
matrix products, scaling, mask and softmax oneDNN then fuses, embedded 1.2x faster (cosine 0.9999).
The caller picks it (``embedding.traced_attention``).

Imported with the model (torch is loaded by then). Only builds take this path: calls of fewer
than ``embedding.MIN_FUSED_TEXTS`` texts (a question) stay eager, since the first call of each
shape costs more than it saves.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import torch

from index.model_feeds import model_feeds, pad_value, unpadded

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from numpy.typing import NDArray

Attention = Literal["sdpa", "eager"]  # transformers' names: PyTorch's kernel, or plain ops

LENGTH_STEP = 16  # tokens: a batch is padded up to a multiple of this
#: Rows per batch, by how attention is traced. A batch's intermediate tensors set a build's peak
#: memory (the model's own attention holds rows x 12 heads x length² scores a layer), and fewer
#: rows ran as fast: flash kernel 16 rows against 32 (AMX; Zen 4 alike); the model's own attention
#: 8 against 16 (Zen 4: 68.1 against 69.0 µs a token, xling-dev build peak 1.09-1.12 against
#: 1.34-1.48 GB; 32 rows had peaked at 1.86 GB).
MAX_ROWS: dict[Attention, int] = {"sdpa": 16, "eager": 8}
SHAPES = 64  # (batch, length) shapes oneDNN may specialise before PyTorch stops fusing
MIN_AGREEMENT = 0.999  # the first fused batch must match eager vectors to this cosine
#: The graph serves every shape whatever the example it was traced on, so the trace runs on a
#: small corner of the first batch: 0.17 s where the whole 16 x 256 batch took 0.73 s, and its
#: eager activations no longer set the build's peak memory (xling-dev: 1,467 -> 1,332 MB, Zen 4).
#: The check compares the first batch's longest texts with their eager vectors.
TRACE_ROWS, TRACE_LENGTH = 2, 2 * LENGTH_STEP
CHECK_ROWS = 4
CHECK_TOKENIZER_ROWS = 16  # texts whose direct tokens must equal the model's own on a first call


class FusionMismatchError(RuntimeError):
    """The traced graph's vectors differ from the model's own: the model does something the
    trace did not capture, so it must not be used."""


def fusable(model: Any) -> bool:
    """True for a CPU model that is a transformer followed by mean pooling (and normalisation):
    the shape this module reproduces. Anything else keeps sentence-transformers' encode."""
    modules = list(model)
    if not 2 <= len(modules) <= 3 or not hasattr(modules[0], "auto_model"):
        return False
    if str(getattr(model, "device", "cpu")) != "cpu":
        return False
    config = modules[1].get_config_dict() if hasattr(modules[1], "get_config_dict") else {}
    flags = {key for key, on in config.items() if key.startswith("pooling_mode_") and on is True}
    older_mean = "mean" if flags == {"pooling_mode_mean_tokens"} else ""  # before "pooling_mode"
    if config.get("pooling_mode", older_mean) != "mean":
        return False
    return len(modules) == 2 or type(modules[2]).__name__ == "Normalize"


@contextmanager
def onednn_fusion() -> Iterator[None]:
    """PyTorch's fuser switch and its shape budget are process-wide: set them for a block."""
    was_enabled = torch.jit.onednn_fusion_enabled()  # type: ignore[no-untyped-call]
    torch.jit.enable_onednn_fusion(True)
    strategy = _set_fusion_strategy([("STATIC", SHAPES)])
    try:
        yield
    finally:
        _set_fusion_strategy(strategy)
        torch.jit.enable_onednn_fusion(was_enabled)


def _set_fusion_strategy(strategy: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Set PyTorch's fusion strategy, returning the previous one, without TorchScript's
    deprecation notice (see the module docstring)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        previous: list[tuple[str, int]] = torch.jit.set_fusion_strategy(strategy)
    return previous


def _round_up(value: int, step: int) -> int:
    return -(-value // step) * step


class FusedEncoder:
    """Encodes with the traced graph of ``model``; traced and checked on first use.

    ``max_rows`` caps rows per batch (default: ``MAX_ROWS`` for ``attention``).
    """

    def __init__(
        self, model: Any, *, attention: Attention = "sdpa", max_rows: int | None = None
    ) -> None:
        self._model = model
        self._attention = attention
        self._max_rows = max_rows or MAX_ROWS[attention]
        self._graph: Any = None
        self._inputs: tuple[str, ...] = ()
        pad_id = getattr(model.tokenizer, "pad_token_id", None)
        self._pad_id = int(pad_id) if pad_id is not None else 0
        self._direct: _DirectTokenizer | None = _DirectTokenizer.of(model, self._pad_id)

    def encode(self, texts: Sequence[str], *, batch_size: int) -> NDArray[np.float32]:
        """Unit vectors of ``texts``, in order. Raises FusionMismatchError (first call only) and
        whatever tracing raises; the caller then embeds eagerly."""
        features = self._features(list(texts))
        mask = features["attention_mask"]
        lengths = mask.sum(dim=1)
        order = torch.argsort(lengths, descending=True, stable=True)
        out = np.empty((len(texts), int(self._model.get_embedding_dimension())), np.float32)
        rows_per_batch = min(batch_size, self._max_rows)
        with torch.no_grad(), onednn_fusion():
            for first in range(0, len(texts), rows_per_batch):
                rows = order[first : first + rows_per_batch]
                width = _round_up(int(lengths[rows].max()), LENGTH_STEP)
                batch = self._batch(features, rows, width)
                if self._graph is None:
                    vectors = self._trace(batch, [texts[int(i)] for i in rows[:CHECK_ROWS]])
                else:
                    vectors = self._graph(*batch).numpy()
                out[rows.numpy()] = vectors
        return out

    def _features(self, texts: list[str]) -> dict[str, Any]:
        """Token tensors of ``texts``, padded to the longest. The model's fast tokenizer called
        directly takes half the time of sentence-transformers' ``preprocess`` (which builds Python
        lists, then tensors from them); it is used once it gives the same tensors on the first
        call's first texts, and ``preprocess`` otherwise (a model that lowercases, adds a prompt,
        or any other step of its own)."""
        if self._direct is None:
            return dict(self._model.preprocess(texts))
        direct = self._direct(texts)
        if self._graph is None:  # first call: check against the model's own
            own = self._model.preprocess(texts[:CHECK_TOKENIZER_ROWS])
            if not self._direct.agrees(direct, own, CHECK_TOKENIZER_ROWS):
                logger.info("the tokenizer called directly differs from the model's: not used")
                self._direct = None
                return dict(self._model.preprocess(texts))
        return direct

    def _batch(self, features: dict[str, Any], rows: Any, width: int) -> tuple[Any, ...]:
        if not self._inputs:
            names = ("input_ids", "attention_mask", "token_type_ids")
            self._inputs = tuple(name for name in names if name in features)
        tensors = []
        for name in self._inputs:
            tensor = features[name][rows]
            have = tensor.shape[1]
            if have >= width:
                tensor = tensor[:, :width]
            else:
                fill = pad_value(name, self._pad_id)
                tensor = torch.nn.functional.pad(tensor, (0, width - have), value=fill)
            tensors.append(tensor.contiguous())
        return tuple(tensors)

    def _trace(self, batch: tuple[Any, ...], texts: list[str]) -> NDArray[np.float32]:
        """Trace on a corner of ``batch`` with one padded position forced, so the graph always
        applies the padding mask (a trace of an unpadded example could drop it); run it on
        ``batch`` and check its first rows against ``texts`` embedded eagerly. Returns the
        batch's vectors."""
        example = [tensor[:TRACE_ROWS, :TRACE_LENGTH].clone() for tensor in batch]
        mask_at = self._inputs.index("attention_mask")
        example[mask_at][0, -1] = 0
        auto_model = self._model[0].auto_model
        module = _MeanPooled(auto_model, self._inputs).eval()
        with _quiet_tracer(), _attention_traced_as(auto_model, self._attention):
            graph = torch.jit.freeze(
                torch.jit.trace(  # type: ignore[no-untyped-call]
                    module, tuple(example), check_trace=False, strict=False
                )
            )
        fused: NDArray[np.float32] = graph(*batch).numpy()
        eager = self._model.encode(
            texts,
            batch_size=len(texts),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)
        eager /= np.linalg.norm(eager, axis=1, keepdims=True)
        agreement = float(np.min(np.sum(fused[: len(texts)] * eager, axis=1)))
        if agreement < MIN_AGREEMENT:
            raise FusionMismatchError(
                f"fused graph vectors differ from the model's (min cosine {agreement:.4f})"
            )
        self._graph = graph
        return fused


@contextmanager
def _attention_traced_as(auto_model: Any, attention: Attention) -> Iterator[None]:
    """Switch the model's attention while it is traced, then switch it back: the eager path
    (questions, small calls) keeps the model as loaded."""
    config = getattr(auto_model, "config", None)
    before = getattr(config, "_attn_implementation", None)
    switch = getattr(auto_model, "set_attn_implementation", None)
    if switch is None or before is None or before == attention:
        yield
        return
    switch(attention)
    try:
        yield
    finally:
        switch(before)


@contextmanager
def _quiet_tracer() -> Iterator[None]:
    """transformers' shape checks warn while tracing; the graph is checked against eager
    vectors instead, so the warnings would only alarm the person running a build."""
    from transformers.utils import logging as transformers_logging

    verbosity = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity(logging.ERROR)  # "loss_type=None" notice
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", torch.jit.TracerWarning)  # type: ignore[attr-defined]
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript's: see the docstring
            yield
    finally:
        transformers_logging.set_verbosity(verbosity)


class _DirectTokenizer:
    """A copy of the model's fast tokenizer that truncates to the model's window and pads
    nothing (rows are padded here), like sentence-transformers' ``preprocess`` for plain text."""

    def __init__(self, tokenizer: Any, names: tuple[str, ...], pad_id: int) -> None:
        self._tokenizer = tokenizer
        self._names = names
        self._pad_id = pad_id

    @classmethod
    def of(cls, model: Any, pad_id: int) -> _DirectTokenizer | None:
        """The direct tokenizer of ``model``, or None when it has no fast (Rust) tokenizer."""
        backend = getattr(model.tokenizer, "backend_tokenizer", None)
        window = getattr(model, "max_seq_length", None)
        if backend is None or not window:
            return None
        from tokenizers import Tokenizer

        tokenizer = unpadded(Tokenizer.from_str(backend.to_str()), int(window))
        wanted = ("input_ids", "token_type_ids", "attention_mask")
        names = tuple(n for n in wanted if n in getattr(model.tokenizer, "model_input_names", ()))
        return cls(tokenizer, names, pad_id) if "input_ids" in names else None

    def __call__(self, texts: Sequence[str]) -> dict[str, Any]:
        encodings = self._tokenizer.encode_batch([text.strip() for text in texts])
        arrays, mask = model_feeds(encodings, self._names, pad_id=self._pad_id)
        arrays.setdefault("attention_mask", mask)
        return {name: torch.from_numpy(array) for name, array in arrays.items()}

    def agrees(self, direct: dict[str, Any], own: dict[str, Any], rows: int) -> bool:
        """Whether the first ``rows`` of ``direct`` are ``own`` (the model's ``preprocess`` of
        those rows, padded to their own longest), and only padding beyond."""
        names = {name for name, value in own.items() if isinstance(value, torch.Tensor)}
        if names != set(direct):
            return False
        for name in names:
            width = own[name].shape[1]
            mine = direct[name][:rows]
            if mine.shape[1] < width or not torch.equal(mine[:, :width], own[name]):
                return False
            if not bool((mine[:, width:] == pad_value(name, self._pad_id)).all()):
                return False
        return True


class _MeanPooled(torch.nn.Module):
    """The transformer, then mean pooling over real tokens and normalisation, in float32 so
    that pooling adds no bfloat16 rounding."""

    def __init__(self, auto_model: Any, inputs: tuple[str, ...]) -> None:
        super().__init__()
        self.auto_model = auto_model
        self.inputs = inputs

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        features = dict(zip(self.inputs, tensors, strict=True))
        states = self.auto_model(**features, return_dict=True).last_hidden_state.float()
        weights = features["attention_mask"].unsqueeze(-1).float()
        mean = (states * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, dim=-1)
