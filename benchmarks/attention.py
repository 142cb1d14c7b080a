"""What attention costs in the fused graph on a CPU without AMX, and the ways tried to cut it.

    python -m benchmarks.attention --corpus ../shared/corpus/masakhanews-fra.jsonl

The build's fused graph (bfloat16) is traced with each way of computing attention, each in its
own process since oneDNN reads its settings once per process, and times batches of 16 real
chunks cut or padded to each length (passes over them for at least 2 s), ``--rounds`` times
with the variants alternated:
- ``decomposed``: the model's own attention, as builds trace it on a CPU without AMX; oneDNN
  runs each (row, head) pair's products and softmax as separate small kernels;
- ``whole-tensor``: the same graph with oneDNN told to run attention as three whole-tensor
  kernels instead (``_ONEDNN_GRAPH_SDPA_FORCE_PRIMITIVE=1``, an internal debugging switch);
- ``flash``: PyTorch's flash kernel, what builds trace on AMX;
- ``none``: no attention at all, each layer's attention output replaced by the sum of its
  query, key and value projections (every matrix product kept): a floor, not an encoder.
The table gives microseconds per token at each length (the mean over rounds) and attention's
share of the decomposed graph's time, (decomposed - none) / decomposed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.int8_vnni import shaped_batches
from benchmarks.report import markdown_table
from benchmarks.run import run_child
from benchmarks.truncation import chunk_texts

BATCHES = 4  # per length and round
ROWS = 16  # rows per batch for every variant unless --rows: what benchmarks/README's table used
MIN_SECONDS = 2.0  # each length is timed over whole passes until this much time has gone
NO_ATTENTION = "newsbot_benchmark_no_attention"
VARIANTS: dict[str, tuple[str, dict[str, str]]] = {  # name: (traced attention, environment)
    "decomposed": ("eager", {}),
    "whole-tensor": ("eager", {"_ONEDNN_GRAPH_SDPA_FORCE_PRIMITIVE": "1"}),
    "flash": ("sdpa", {}),
    "none": (NO_ATTENTION, {}),
}


def _projections_only(
    module: Any, query: Any, key: Any, value: Any, attention_mask: Any, **_kwargs: Any
) -> tuple[Any, None]:
    """transformers' attention signature, without attention: keeps the three projections live
    so the trace drops no matrix product."""
    return (query + key + value).transpose(1, 2).contiguous(), None


def _register_no_attention() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask

    AttentionInterface.register(NO_ATTENTION, _projections_only)
    AttentionMaskInterface.register(NO_ATTENTION, eager_mask)


def measure(
    variant: str, corpus: Path, lengths: Sequence[int], rows: int = ROWS
) -> dict[int, float]:
    """Microseconds per token of ``variant``'s graph at each length, on batches as builds make
    them (``rows`` rows, the same for every variant); runs in a worker."""
    import torch

    from index import fused_encoder
    from index.embedding import SentenceTransformerEmbedder

    texts = chunk_texts(corpus, rows * BATCHES)

    attention, _ = VARIANTS[variant]
    if attention == NO_ATTENTION:
        _register_no_attention()
        fused_encoder.MIN_AGREEMENT = -1.0  # its vectors mean nothing; only its time counts
    embedder = SentenceTransformerEmbedder("", threads=2, graph="fused")
    model = embedder._model  # the benchmark times graphs, not builds
    if embedder.precision != "bfloat16":
        raise SystemExit("the fused graph needs a CPU where the model runs in bfloat16")
    encoder = fused_encoder.FusedEncoder(
        model,
        attention=attention,  # type: ignore[arg-type]
        max_rows=rows,  # every variant runs the asked rows, whatever builds cap it at
    )
    encoder.encode(texts[:rows], batch_size=rows)  # trace (and check) once
    graph = encoder._graph
    out: dict[int, float] = {}
    with torch.no_grad(), fused_encoder.onednn_fusion():
        for length in lengths:
            batches = shaped_batches(model, texts, rows, length)
            for batch in batches[:2]:  # oneDNN specialises the shape on its first calls
                graph(*batch)
            passes, started = 0, time.perf_counter()
            while passes == 0 or time.perf_counter() - started < MIN_SECONDS:
                for batch in batches:
                    graph(*batch)
                passes += 1
            seconds = time.perf_counter() - started
            out[length] = seconds / (passes * len(batches) * rows * length) * 1e6
    return out


def _worker(variant: str, corpus: Path, lengths: Sequence[int], rows: int) -> dict[int, float]:
    command = [sys.executable, "-m", "benchmarks.attention", "--corpus", str(corpus.resolve())]
    command += ["--lengths", ",".join(map(str, lengths)), "--rows", str(rows)]
    command += ["--worker", variant]
    done = run_child(command, extra_env=VARIANTS[variant][1])
    return {int(k): v for k, v in done.result.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--lengths", default="64,128,192,256", help="tokens per chunk")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rows", type=int, default=ROWS, help="rows per batch")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="which to time")
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    parser.add_argument("--worker", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    lengths = [int(x) for x in args.lengths.split(",")]
    if args.worker:
        print(json.dumps(measure(args.worker, args.corpus, lengths, args.rows)))
        return 0

    variants = args.variants.split(",")
    if unknown := set(variants) - set(VARIANTS):
        parser.error(f"unknown variants {sorted(unknown)}; choose from {sorted(VARIANTS)}")
    runs: dict[str, list[dict[int, float]]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name in variants:
            runs[name].append(_worker(name, args.corpus, lengths, args.rows))
    mean = {
        name: {n: sum(run[n] for run in done) / len(done) for n in lengths}
        for name, done in runs.items()
    }
    rows: list[list[object]] = [[name, *(mean[name][n] for n in lengths)] for name in variants]
    if {"decomposed", "none"} <= set(variants):
        share = [(mean["decomposed"][n] - mean["none"][n]) / mean["decomposed"][n] for n in lengths]
        rows.append(["attention's share of decomposed", *(f"{100 * s:.0f}%" for s in share)])
    header = ["µs per token", *(f"{n} tokens" for n in lengths)]
    print(markdown_table(header, rows))
    if args.out:
        result = {"lengths": lengths, "rows": args.rows, "rounds": args.rounds, "runs": runs}
        result["mean"] = mean
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
