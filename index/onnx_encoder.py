"""The embedding model on ONNX Runtime: questions encoded without importing torch.

Importing sentence-transformers (and with it transformers and torch) takes ~6 s, most of a cold
``newsbot ask``. The model is therefore exported once to ONNX (``export_onnx``, which does need
torch) into a cache keyed by the model id and its weights, and questions are encoded by ONNX
Runtime with the ``tokenizers`` library: tokenise, run the transformer, mean-pool over the
attention mask, normalise — what sentence-transformers does for a model made of Transformer,
mean Pooling and Normalize modules. Any other model layout is declined (``onnx_support``) and
the caller falls back to sentence-transformers.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from index.model_feeds import model_feeds, unpadded

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from index.embedding import Embedder
    from index.onnx_int8 import Batch

log = logging.getLogger(__name__)

#: Bumped when the exported graph changes shape or meaning: old cache entries are then ignored.
EXPORT_VERSION = 1
ONNX_FILE = "model.onnx"
#: The int8 graph (``index.onnx_int8``); a new recipe takes a new name, so caches rebuild it.
INT8_RECIPE = "int8-smooth-7bit"
INT8_FILE = f"model.{INT8_RECIPE}.onnx"
OnnxPrecision = Literal["float32", "int8"]
#: precision → (graph as exported or quantised, the same graph after ONNX Runtime's fusions)
GRAPH_FILES: dict[str, tuple[str, str]] = {
    "float32": (ONNX_FILE, "model.optimized.onnx"),
    "int8": (INT8_FILE, f"model.{INT8_RECIPE}.optimized.onnx"),
}
INFO_FILE = "export.json"
ONNX_OPSET = 17
_SUPPORTED_MODULES = (
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
)


class OnnxUnavailableError(RuntimeError):
    """The model cannot run on ONNX Runtime here; the message says why (for the fallback log)."""


@dataclass(frozen=True)
class ModelLayout:
    """What the light path needs to know about a sentence-transformers model folder."""

    folder: Path
    max_tokens: int
    dimension: int


def onnx_support(folder: Path) -> ModelLayout:
    """Check that ``folder`` is Transformer → mean pooling (→ Normalize); raise why not.

    The light path re-implements exactly that pipeline; a model with CLS pooling, a Dense layer
    or any other module would give different vectors, so it is refused rather than approximated.
    """
    if not folder.is_dir():
        raise OnnxUnavailableError(f"{folder} is not a local model folder")
    if not (folder / "tokenizer.json").is_file():
        raise OnnxUnavailableError(f"{folder} has no tokenizer.json (a fast tokenizer)")
    modules_file = folder / "modules.json"
    if not modules_file.is_file():
        raise OnnxUnavailableError(f"{folder} has no modules.json")
    modules = json.loads(modules_file.read_text("utf-8"))
    types = [str(m.get("type", "")) for m in modules]
    if (
        not types
        or types[0] != _SUPPORTED_MODULES[0]
        or any(t not in _SUPPORTED_MODULES for t in types)
    ):
        raise OnnxUnavailableError(f"unsupported module layout {types}")
    pooling_path = next(
        (folder / m.get("path", "") for m in modules if m.get("type") == _SUPPORTED_MODULES[1]),
        None,
    )
    if pooling_path is None:
        raise OnnxUnavailableError("no pooling module")
    pooling = json.loads((pooling_path / "config.json").read_text("utf-8"))
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v is True}
    if modes != {"pooling_mode_mean_tokens"}:
        raise OnnxUnavailableError(f"pooling {sorted(modes)} is not plain mean pooling")
    config = json.loads((folder / "config.json").read_text("utf-8"))
    st_config_file = folder / "sentence_bert_config.json"
    st_config = json.loads(st_config_file.read_text("utf-8")) if st_config_file.is_file() else {}
    if st_config.get("do_lower_case"):
        raise OnnxUnavailableError("do_lower_case models are not supported")
    max_tokens = int(
        st_config.get("max_seq_length") or config.get("max_position_embeddings") or 512
    )
    dimension = int(pooling.get("word_embedding_dimension") or config.get("hidden_size") or 0)
    return ModelLayout(folder, max_tokens, dimension)


def _fingerprint(folder: Path) -> str:
    """Identity of the weights without reading 90 MB: names, sizes and mtimes of the files."""
    parts = [f"v{EXPORT_VERSION}"]
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            stat = path.stat()
            parts.append(f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def cache_entry(cache_dir: Path, model_id: str, folder: Path) -> Path:
    """The cache folder for this model id and these weights (a changed model gets a new one)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id).strip("_") or "model"
    return cache_dir / f"{slug}-{_fingerprint(folder)}"


def export_onnx(layout: ModelLayout, target: Path) -> Path:
    """Export the transformer to ``target/model.onnx`` (seconds; imports torch). Atomic.

    Inputs are passed by keyword through a wrapper: transformers 5's ``BertModel.forward``
    does not accept them by position. The graph outputs the token states; pooling stays in
    numpy so the same graph also gives per-token vectors.
    """
    import torch
    from transformers import AutoModel

    model: Any = AutoModel.from_pretrained(str(layout.folder))
    model.eval()
    accepts_types = "token_type_ids" in _forward_parameters(model)
    names = ["input_ids", "attention_mask", *(["token_type_ids"] if accepts_types else [])]

    class _Wrapper(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *inputs: Any) -> Any:
            return self.inner(**dict(zip(names, inputs, strict=True))).last_hidden_state

    example = tuple(torch.ones((2, 8), dtype=torch.int64) for _ in names)
    axes = {name: {0: "batch", 1: "tokens"} for name in names}
    axes["last_hidden_state"] = {0: "batch", 1: "tokens"}
    target.mkdir(parents=True, exist_ok=True)
    temp = target / f".{ONNX_FILE}.{uuid.uuid4().hex[:8]}"
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about shapes fixed at export time
            torch.onnx.export(
                _Wrapper(model),
                example,
                str(temp),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=ONNX_OPSET,
                dynamo=False,
            )
        temp.replace(target / ONNX_FILE)
    finally:
        temp.unlink(missing_ok=True)
    info = {"inputs": names, "max_tokens": layout.max_tokens, "dimension": layout.dimension}
    (target / INFO_FILE).write_text(json.dumps(info), "utf-8")
    return target / ONNX_FILE


def _forward_parameters(model: Any) -> set[str]:
    import inspect

    return set(inspect.signature(model.forward).parameters)


def ensure_onnx(folder: Path, model_id: str, cache_dir: Path) -> Path:
    """The cached ONNX export of ``folder``, exporting it first when missing.

    Raises OnnxUnavailableError (model layout, export failure) so the caller can fall back.
    """
    layout = onnx_support(folder)
    entry = cache_entry(cache_dir, model_id, folder)
    if (entry / ONNX_FILE).is_file() and (entry / INFO_FILE).is_file():
        return entry
    log.info("exporting %s to ONNX in %s (once per model)", model_id, entry)
    try:
        export_onnx(layout, entry)
    except OnnxUnavailableError:
        raise
    except Exception as exc:  # torch.onnx raises many kinds; one line for the log is enough
        raise OnnxUnavailableError(f"ONNX export failed: {type(exc).__name__}: {exc}") from exc
    return entry


def mean_pool(states: NDArray[np.float32], mask: NDArray[np.int64]) -> NDArray[np.float32]:
    """Masked mean over tokens, then unit length: sentence-transformers' Pooling + Normalize."""
    weights = mask[:, :, None].astype(np.float32)
    summed = (states * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    pooled = summed / counts
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    result: NDArray[np.float32] = np.ascontiguousarray(
        pooled / np.clip(norms, 1e-12, None), dtype=np.float32
    )
    return result


def model_tokenizer(folder: Path, max_tokens: int | None) -> Any:
    """The model folder's ``tokenizers`` tokenizer, unpadded, truncating at ``max_tokens``
    (None: never truncating)."""
    from tokenizers import Tokenizer

    return unpadded(Tokenizer.from_file(str(folder / "tokenizer.json")), max_tokens)


class OnnxEmbedder:
    """An ``Embedder`` on ONNX Runtime + ``tokenizers``: vectors equal sentence-transformers'.

    ``threads`` = 0 lets ONNX Runtime use one thread per core. Texts are sorted by length
    before batching, so a batch pads to similar lengths.
    """

    def __init__(
        self,
        entry: Path,
        folder: Path,
        model_id: str,
        *,
        threads: int = 0,
        precision: OnnxPrecision = "float32",
    ) -> None:
        import onnxruntime as ort

        info = json.loads((entry / INFO_FILE).read_text("utf-8"))
        self.model_id = model_id
        self.dimension = int(info["dimension"])
        self.max_tokens: int | None = int(info["max_tokens"])
        self.precision: str = precision
        #: How the vectors were computed, for cache keys (float32 vectors equal torch's eager ones).
        self.graph = INT8_RECIPE if precision == "int8" else "eager"
        self._inputs: list[str] = list(info["inputs"])
        self._counter: Any = model_tokenizer(folder, None)  # chunking needs true lengths
        self._tokenizer: Any = model_tokenizer(folder, self.max_tokens)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        graph, optimized_name = GRAPH_FILES[precision]
        optimized = entry / optimized_name
        if optimized.is_file():  # graph already fused: skip the optimiser (~30% of the load)
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            source = optimized
        else:  # first load: optimise and keep the result (portable: no CPU-specific layouts)
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
            temp = entry / f".{optimized_name}.{uuid.uuid4().hex[:8]}"
            options.optimized_model_filepath = str(temp)
            source = entry / graph
        self._session: Any = ort.InferenceSession(
            str(source), options, providers=["CPUExecutionProvider"]
        )
        if source != optimized:
            with contextlib.suppress(OSError):  # a read-only cache only costs the optimiser
                temp.replace(optimized)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        encodings = self._counter.encode_batch(list(texts), add_special_tokens=True)
        return [len(encoding.ids) for encoding in encodings]

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> NDArray[np.float32]:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=True)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for first in range(0, len(order), batch_size):
            rows = order[first : first + batch_size]
            states, mask = self._run([encodings[i] for i in rows])
            out[rows] = mean_pool(states, mask)
        return out

    def _run(self, encodings: Sequence[Any]) -> tuple[NDArray[np.float32], NDArray[np.int64]]:
        """Token states for one batch of encodings, padded to its longest member."""
        feeds, mask = model_feeds(encodings, self._inputs)
        outputs = self._session.run(None, feeds)
        return np.asarray(outputs[0], dtype=np.float32), mask

    def warm_up(self) -> None:
        """One tiny call: ONNX Runtime allocates and picks kernels on its first run."""
        self.encode(["warm up"])


def quantize_int8(entry: Path, folder: Path) -> Path:
    """The int8 graph of the export in ``entry`` (calibrated once, then kept in the cache)."""
    target = entry / INT8_FILE
    if target.is_file():
        return target
    from index.onnx_int8 import write_int8_graph

    log.info("quantising %s to int8 (once per model)", entry.name)
    return write_int8_graph(entry / ONNX_FILE, target, calibration_batches(entry, folder))


#: Calibration passages a batch: the 37 bundled passages make three.
CALIBRATION_BATCH = 16


def calibration_batches(entry: Path, folder: Path) -> list[Batch]:
    """The int8 calibration passages as the export's inputs (with their masks), tokenised as
    the encoder tokenises."""
    from index.onnx_int8 import calibration_texts

    info = json.loads((entry / INFO_FILE).read_text("utf-8"))
    tokenizer = model_tokenizer(folder, int(info["max_tokens"]))
    texts = calibration_texts()
    return [
        model_feeds(
            tokenizer.encode_batch(texts[first : first + CALIBRATION_BATCH]), info["inputs"]
        )
        for first in range(0, len(texts), CALIBRATION_BATCH)
    ]


def load_onnx_embedder(
    model: str,
    *,
    cache_dir: Path,
    threads: int = 0,
    warm: bool = True,
    precision: OnnxPrecision = "float32",
) -> OnnxEmbedder:
    """The model named by ``model`` (the NEWSBOT_EMBEDDING_MODEL value) on ONNX Runtime.

    Exports it first when the cache lacks it. Raises OnnxUnavailableError when the model is
    not a local sentence-transformers folder of the supported layout, or does not export.
    """
    from index.embedding import resolve_model

    load_from, model_id = resolve_model(model)
    folder = Path(load_from)
    entry = ensure_onnx(folder, model_id, cache_dir)
    try:
        if precision == "int8":
            quantize_int8(entry, folder)
        embedder = OnnxEmbedder(entry, folder, model_id, threads=threads, precision=precision)
    except Exception as exc:  # a corrupt or foreign file in the cache: say so, fall back
        raise OnnxUnavailableError(f"cannot load the ONNX model in {entry}: {exc}") from exc
    if warm:
        embedder.warm_up()
    return embedder


def question_embedder(
    model: str,
    *,
    cache_dir: Path,
    threads: int,
    fallback: Callable[[], Embedder],
    precision: OnnxPrecision = "float32",
) -> Embedder:
    """The light encoder for questions, or ``fallback()`` (sentence-transformers) with a log line.

    The fallback is slower to start (it imports torch) but always gives the build's vectors.
    ``precision`` follows the index: an index embedded in int8 is queried with the same graph.
    """
    try:
        return load_onnx_embedder(model, cache_dir=cache_dir, threads=threads, precision=precision)
    except OnnxUnavailableError as exc:
        log.warning("questions are encoded with sentence-transformers (slower start): %s", exc)
        return fallback()
