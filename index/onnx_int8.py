"""The opt-in int8 graph (``NEWSBOT_EMBEDDING_PRECISION=int8``): 8-bit matrix products that
keep the float32 model's vectors, for CPUs where float32 is the only fast float type.

ONNX Runtime's dynamic quantisation gives each activation tensor a single scale. MiniLM's
activations have a few channels far larger than the rest, so the others get few levels; on
CPUs without VNNI (AVX2 only) the 8-bit kernel also sums pairs of products in 16 bits, which
saturate once activations use the whole range. Measured on an AVX2 EPYC (512 masakhanews
chunks, mean cosine to float32): plain dynamic int8 of every product but the feed-forward
outputs 0.995, which cost 0.6 point of recall@5 on xling-dev; with the two fixes below 0.998
(recall@5 there is still 0.8 point under float32's: questions at the rank-5 edge flip).

- SmoothQuant (Xiao et al., 2023): each product's input channel j is divided by
  ``s_j = max|x_j|^α / max|W_j|^(1-α)`` and the weight's row j multiplied by it. In float the
  result is the same; the activations are flatter and lose less to one scale. ``max|x_j|`` is
  calibrated once, on bundled text (``data/int8_calibration.txt``, written for newsbot).
- 7-bit weights (ONNX Runtime's ``reduce_range``): the 16-bit sums cannot saturate. The same
  graph runs on every CPU, so an index and its questions agree wherever they are encoded.

Each layer's feed-forward output product (its input is GELU's, with token outliers that no
per-channel factor flattens) stays float32.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

CALIBRATION_FILE = Path(__file__).parent / "data" / "int8_calibration.txt"
#: Migration strength, by mean cosine to float32 on 512 masakhanews chunks (AVX2 EPYC):
#: 0.5 → 0.9979, 0.65 → 0.9976, 0.8 → 0.9970.
SMOOTHING_ALPHA = 0.5


def is_feed_forward_output(node_name: str) -> bool:
    """Whether a MatMul node of a BERT export is a layer's feed-forward output product."""
    return "/output/dense" in node_name and "/attention/" not in node_name


def weight_products(model: Any) -> list[Any]:
    """The MatMul nodes whose second input is a weight (an initializer)."""
    weights = {init.name for init in model.graph.initializer}
    return [n for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in weights]


Batch = tuple[dict[str, "NDArray[np.int64]"], "NDArray[np.int64]"]  # feeds, attention mask


def calibrate(
    model: Any, tensors: Sequence[str], batches: Sequence[Batch]
) -> dict[str, NDArray[np.float32]]:
    """Per channel, the largest |value| each of ``tensors`` takes on real (unpadded) tokens."""
    import onnx
    import onnxruntime as ort

    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for name in tensors:
        probe.graph.output.append(
            onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
        )
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    maxima: dict[str, NDArray[np.float32]] = {}
    for feeds, mask in batches:
        real = mask.astype(bool)
        for name, values in zip(tensors, session.run(list(tensors), feeds), strict=True):
            seen = np.abs(values[real]).max(axis=0)
            maxima[name] = np.maximum(maxima[name], seen) if name in maxima else seen
    return maxima


def smooth(model: Any, maxima: dict[str, NDArray[np.float32]], alpha: float) -> None:
    """Divide each calibrated input by its factors (one Mul, shared by the products reading it)
    and multiply those products' weight rows by them: the float result is unchanged."""
    from onnx import helper, numpy_helper

    initializers = {init.name: init for init in model.graph.initializer}
    products = [n for n in weight_products(model) if n.input[0] in maxima]
    factors: dict[str, NDArray[np.float32]] = {}
    for name, largest in maxima.items():
        readers = [
            numpy_helper.to_array(initializers[n.input[1]]) for n in products if n.input[0] == name
        ]
        weight_max = np.max([np.abs(w).max(axis=1) for w in readers], axis=0)
        factors[name] = (
            np.maximum(largest, 1e-5) ** alpha / np.maximum(weight_max, 1e-5) ** (1 - alpha)
        ).astype(np.float32)
    smoothed_products = {n.name for n in products}
    nodes, divided = [], set()
    for node in model.graph.node:
        if node.name in smoothed_products:
            source = node.input[0]
            if source not in divided:
                inverse = (1 / factors[source]).astype(np.float32)
                model.graph.initializer.append(numpy_helper.from_array(inverse, f"{source}/smooth"))
                nodes.append(
                    helper.make_node("Mul", [source, f"{source}/smooth"], [f"{source}/smoothed"])
                )
                divided.add(source)
            weight = initializers[node.input[1]]
            scaled = numpy_helper.to_array(weight) * factors[source][:, None]
            weight.CopyFrom(numpy_helper.from_array(scaled.astype(np.float32), weight.name))
            node.input[0] = f"{source}/smoothed"
        nodes.append(node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)


def calibration_texts() -> list[str]:
    """The bundled calibration passages, one a line."""
    return [line for line in CALIBRATION_FILE.read_text("utf-8").splitlines() if line.strip()]


class _PreprocessingHint(logging.Filter):
    """ONNX Runtime's quantiser advises (on the root logger) a pre-processing pass that only
    reshapes image models' graphs; the hint would read as a problem in every int8 build."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


@contextlib.contextmanager
def _without_preprocessing_hint() -> Iterator[None]:
    hint = _PreprocessingHint()
    logging.getLogger().addFilter(hint)
    try:
        yield
    finally:
        logging.getLogger().removeFilter(hint)


def write_int8_graph(source: Path, target: Path, batches: Sequence[Batch]) -> Path:
    """Smooth ``source`` (the float32 export) as calibrated on ``batches`` (the passages of
    ``calibration_texts`` as model inputs), quantise it, write it to ``target`` atomically."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(source))
    products = weight_products(model)
    kept_float = [n.name for n in products if is_feed_forward_output(n.name)]
    tensors = sorted({n.input[0] for n in products if n.name not in kept_float})
    maxima = calibrate(model, tensors, batches)
    smooth(model, maxima, SMOOTHING_ALPHA)
    token = uuid.uuid4().hex[:8]
    smoothed = target.with_name(f".{target.name}.{token}.float")
    temp = target.with_name(f".{target.name}.{token}")
    try:
        onnx.save(model, str(smoothed))
        with _without_preprocessing_hint():
            quantize_dynamic(
                str(smoothed),
                str(temp),
                weight_type=QuantType.QInt8,
                per_channel=True,
                reduce_range=True,
                op_types_to_quantize=["MatMul"],
                nodes_to_exclude=kept_float,
            )
        temp.replace(target)
    finally:
        smoothed.unlink(missing_ok=True)
        temp.unlink(missing_ok=True)
    return target
