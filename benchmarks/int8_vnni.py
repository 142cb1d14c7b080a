"""int8 matrix products (VNNI) against the fused bfloat16 graph: an indexing idea, not adopted.

    pip install torchao==0.18.0    # not a newsbot dependency: PyTorch 2.13's PT2E lives there
    python -m benchmarks.int8_vnni --corpus ../shared/corpus/masakhanews-fra.jsonl

Of the corpus's first ``--pool`` chunks, built as the index builds them, the ``--chunks`` longest
are cut or padded to one shape (``--rows`` x ``--tokens``), so every encoder does the same work,
and encoded by each in turn, ``--rounds`` times in one process:
- ``fused``: newsbot's build graph (bfloat16, oneDNN-fused; the CPU picks its attention);
- ``static``: PT2E static int8 (``X86InductorQuantizer``, one scale per tensor, calibrated on
  ``--calibration`` chunks of middle length from the pool), compiled by inductor with
  freezing, bfloat16 elsewhere;
- ``dynamic``: torchao's dynamic int8 (one scale per token), the bfloat16 model, compiled.
The table gives chunks/s per round and the cosine of each encoder's vectors to float32 ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.report import markdown_table
from benchmarks.truncation import chunk_texts

Batch = tuple[Any, ...]
Encoder = Callable[..., Any]


def shaped_batches(model: Any, texts: Sequence[str], rows: int, tokens: int) -> list[Batch]:
    """The model's inputs for ``texts``, every batch ``rows`` x ``tokens`` (cut or padded)."""
    import torch

    batches: list[Batch] = []
    for first in range(0, len(texts) - rows + 1, rows):
        features = model.preprocess(list(texts[first : first + rows]))
        batch = []
        for name in ("input_ids", "attention_mask", "token_type_ids"):
            tensor = features[name][:, :tokens]
            pad = tokens - tensor.shape[1]
            batch.append(torch.nn.functional.pad(tensor, (0, pad)).contiguous())
        batches.append(tuple(batch))
    return batches


def fresh_model(attention: str = "eager") -> tuple[Any, Any]:
    """A float32 sentence-transformers model and its mean-pooled transformer module."""
    from sentence_transformers import SentenceTransformer

    from index.embedding import default_model_path
    from index.fused_encoder import _MeanPooled

    model = SentenceTransformer(str(default_model_path()), device="cpu")
    auto_model = model[0].auto_model
    auto_model.set_attn_implementation(attention)
    inputs = ("input_ids", "attention_mask", "token_type_ids")
    return model, _MeanPooled(auto_model, inputs).eval()


def fused_encoder(texts: Sequence[str]) -> Encoder:
    """newsbot's fused graph, traced by encoding a few of ``texts`` through the embedder."""
    from index.embedding import SentenceTransformerEmbedder
    from index.fused_encoder import onednn_fusion

    embedder = SentenceTransformerEmbedder("", threads=2, graph="fused")
    fused = embedder._fused  # the benchmark times the graph alone, on its own batches
    if fused is None:
        raise SystemExit("the fused graph needs a CPU where the model runs in bfloat16")
    fused.encode(list(texts[:32]), batch_size=16)
    graph = fused._graph

    def encode(*batch: Any) -> Any:
        with onednn_fusion():
            return graph(*batch)

    return encode


def static_int8_encoder(example: Batch, calibration: list[Batch]) -> Encoder:
    import torch
    import torchao.quantization.pt2e.quantizer.x86_inductor_quantizer as x86
    from torch._inductor import config as inductor_config
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e

    _, module = fresh_model()
    exported = torch.export.export(module, example, strict=False).module()
    # torchao 0.18 fails to match transformers 5's linear+GELU pattern (IndexError): quantise
    # each product on its own instead.
    x86.X86InductorQuantizer._annotate_linear_unary = lambda *_args, **_kw: None
    quantizer = x86.X86InductorQuantizer()
    quantizer.set_global(x86.get_default_x86_inductor_quantization_config())
    prepared = prepare_pt2e(exported, quantizer)
    with torch.no_grad():
        for batch in calibration:
            prepared(*batch)
    inductor_config.freezing = True
    compiled = torch.compile(convert_pt2e(prepared))

    def encode(*batch: Any) -> Any:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return compiled(*batch)

    return encode


def dynamic_int8_encoder() -> Encoder:
    import torch
    from torch._inductor import config as inductor_config
    from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_

    _, module = fresh_model()
    module.to(torch.bfloat16)
    quantize_(module.auto_model, Int8DynamicActivationInt8WeightConfig())
    inductor_config.freezing = True
    return torch.compile(module)


def timed(encode: Encoder, batches: list[Batch]) -> tuple[float, np.ndarray]:
    """(chunks/s, unit vectors) of one pass over ``batches``."""
    import torch

    rows = sum(len(batch[0]) for batch in batches)
    with torch.no_grad():
        started = time.perf_counter()
        out = torch.cat([encode(*batch).float() for batch in batches]).numpy()
        speed = rows / (time.perf_counter() - started)
    return speed, out / np.linalg.norm(out, axis=1, keepdims=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--chunks", type=int, default=256)
    parser.add_argument("--pool", type=int, default=1200, help="chunks read, longest first")
    parser.add_argument("--calibration", type=int, default=128)
    parser.add_argument("--rows", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=192)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--encoders", default="fused,static,dynamic")
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    args = parser.parse_args(argv)
    try:
        import torchao  # noqa: F401
    except ImportError:
        raise SystemExit("this benchmark needs torchao: pip install torchao==0.18.0") from None
    import torch

    torch.set_num_threads(2)
    texts = chunk_texts(args.corpus, args.pool)
    middle = max(args.chunks, len(texts) // 2)  # calibration texts are not timed texts
    reference_model, reference = fresh_model()
    batches = shaped_batches(reference_model, texts[: args.chunks], args.rows, args.tokens)
    calibration = shaped_batches(
        reference_model, texts[middle : middle + args.calibration], args.rows, args.tokens
    )
    with torch.no_grad():
        float32 = torch.cat([reference(*batch) for batch in batches]).numpy()

    makers: dict[str, Callable[[], Encoder]] = {
        "fused": lambda: fused_encoder(texts),
        "static": lambda: static_int8_encoder(batches[0], calibration),
        "dynamic": dynamic_int8_encoder,
    }
    names = args.encoders.split(",")
    encoders = {}
    for name in names:
        started = time.perf_counter()
        encoders[name] = makers[name]()
        timed(encoders[name], batches)  # compiles, picks kernels, warms caches
        print(f"{name}: ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    speeds: dict[str, list[float]] = {name: [] for name in names}
    cosines: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):  # alternated, so a slow spell of the machine hits each alike
        for name in names:
            speed, vectors = timed(encoders[name], batches)
            speeds[name].append(speed)
            cosines[name] = np.sum(vectors * float32, axis=1)

    print(f"{len(batches) * args.rows} chunks as {args.rows} x {args.tokens} tokens, "
          f"{args.rounds} rounds")  # fmt: skip
    rows, table = [], []
    for name in names:
        ratio = sum(speeds[name]) / sum(speeds["fused"]) if "fused" in speeds else None
        runs = " / ".join(f"{s:.1f}" for s in speeds[name])
        shown = f"{ratio:.2f}x" if ratio else "-"
        mean, low = float(cosines[name].mean()), float(cosines[name].min())
        table.append((name, runs, shown, f"{mean:.5f} / {low:.5f}"))
        rows.append({"encoder": name, "chunks_per_s": speeds[name], "vs_fused": ratio,
                     "cosine_mean": mean, "cosine_min": low})  # fmt: skip
    header = ("encoder", "chunks/s per round", "vs fused (all rounds)", "cosine to fp32 mean / min")
    print(markdown_table(header, table))
    if args.out is not None:
        result = {"chunks": len(batches) * args.rows, "rows": args.rows, "tokens": args.tokens,
                  "cpu_flags_bf16": _bf16_flags(), "encoders": rows}  # fmt: skip
        args.out.write_text(json.dumps(result, indent=1), "utf-8")
    return 0


def _bf16_flags() -> list[str]:
    from index.embedding import _cpu_flags

    wanted = ("avx512_bf16", "avx512_vnni", "amx_bf16", "amx_int8")
    return [flag for flag in wanted if f" {flag}" in _cpu_flags()]


if __name__ == "__main__":
    sys.exit(main())
