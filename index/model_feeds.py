"""A batch of ``tokenizers`` encodings as the padded arrays a transformer takes: one place for
the ONNX encoder (questions, int8 calibration) and the fused graph's direct tokenizer (builds)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from index.onnx_int8 import Batch


def unpadded(tokenizer: Any, max_tokens: int | None) -> Any:
    """``tokenizer`` (a ``tokenizers.Tokenizer``) set to pad nothing, since ``model_feeds`` pads
    each batch to its own longest, and to truncate at ``max_tokens`` (None: never)."""
    tokenizer.no_padding()
    if max_tokens is None:
        tokenizer.no_truncation()
    else:
        tokenizer.enable_truncation(max_length=max_tokens)
    return tokenizer


def pad_value(name: str, pad_id: int) -> int:
    """What pads input ``name``: the tokenizer's pad id for input ids, 0 (no token, segment 0)
    for the attention mask and token types."""
    return pad_id if name == "input_ids" else 0


def model_feeds(encodings: Sequence[Any], inputs: Sequence[str], *, pad_id: int = 0) -> Batch:
    """The graph's ``inputs`` for a batch of ``tokenizers`` encodings padded to the longest
    (input ids with ``pad_id``), and the attention mask (which tokens are real: pooling and
    calibration need it)."""
    width = max(len(e) for e in encodings)
    ids = np.full((len(encodings), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    types = np.zeros((len(encodings), width), dtype=np.int64)
    for row, encoding in enumerate(encodings):
        n = len(encoding)
        ids[row, :n] = encoding.ids
        mask[row, :n] = 1
        types[row, :n] = encoding.type_ids
    every = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
    return {name: every[name] for name in inputs}, mask
