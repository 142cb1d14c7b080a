"""``latest.json`` → ``latest.md``: the tables the README quotes."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.milvus_phase import render as render_backends

Result = dict[str, Any]


def render_markdown(results: Result) -> str:
    sections = [
        "# newsbot benchmarks",
        _machine(results),
        "## Speed goals (issue 10), each beside its baseline or peer from this run",
        _goals(results),
        "## Indexing",
        _indexing(results),
        "## Query latency (warm) and cold start",
        _latency(results),
        "## Quality (`newsbot eval`)",
        _quality(results),
        "## Backends: FAISS and Milvus ([docs/scale.md](../../docs/scale.md))",
        render_backends(results.get("backends", {})),
        "## How these were made",
        _notes(results),
    ]
    return "\n\n".join(sections) + "\n"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else "–"


def _rate(value: float) -> str:
    return f"{value:,.1f}"


def _command(opts: Result) -> str:
    flags = [
        f"--{name.replace('_', '-')}" + ("" if value is True else f" {_flag_value(value)}")
        for name, value in opts.items()
        if value not in (None, False)
    ]
    return " ".join(["python -m benchmarks.run", *flags])


def _flag_value(value: object) -> str:
    """A list option as typed (``--index-corpora masakhanews,xling-dev``), not as a Python list."""
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _mb(size: float | None) -> str:
    return "–" if size is None else f"{size / 1e6:,.0f} MB"


def _machine(results: Result) -> str:
    m = results["machine"]
    text = (
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}, torch {m['torch']}; "
        f"started {m['started']}, load average {m['load_average_start']} at start and "
        f"{m.get('load_average_end')} at the end (other work on the machine slows every number "
        f"alike). Run time: {results.get('total_minutes')} min."
    )
    runs: dict[str, list[str]] = {}
    for section, where in (results.get("measured_in") or {}).items():
        if where.get("started") != m["started"]:
            label = (
                f"{where['started']} (load average {where['load_average_start']} at start, "
                f"{where.get('load_average_end')} at the end)"
            )
            runs.setdefault(label, []).append(section)
    for label, sections in runs.items():
        text += f" Sections {', '.join(sections)} come from the run started {label}."
    return text


def _goals(results: Result) -> str:
    """One row per goal: newsbot, what it is compared with, the ratio, the target."""
    rows: list[list[object]] = []
    latency = results.get("latency") or {}
    txtai = results.get("txtai") or {}
    xling = latency.get("xling-dev") or {}
    if "cold_start" in xling:
        cold = xling["cold_start"]["seconds"]
        peer = txtai.get("cold_start_s")
        rows.append(
            [
                "cold start, `newsbot ask --json` (xling-dev)",
                f"{cold} s",
                f"txtai {peer} s" if peer else "txtai –",
                _ratio(cold, peer),
                "≤ 1.5 s, ≤ 0.3×",
            ]
        )
        before = (xling.get("baseline_cold_start") or {}).get("seconds")
        if before:
            rows.append(
                [
                    "cold start vs the baseline checkout",
                    f"{cold} s",
                    f"{before} s",
                    _ratio(cold, before),
                    "",
                ]
            )
        rows.append(
            [
                "first question of a process vs the tenth",
                f"{xling.get('first_ask_ms')} ms",
                f"{xling.get('tenth_ask_ms')} ms",
                "",
                "≤ tenth + 50 ms",
            ]
        )
    encoder = results.get("encoder") or {}
    if "cosine_min" in encoder:
        rows.append(
            [
                "question vectors: light (ONNX) vs build encoder, min cosine",
                f"{encoder['cosine_min']:.6f}",
                f"{encoder['build_precision']} build",
                "",
                "≥ 0.9999 vs float32",
            ]
        )
        rows.append(
            [
                "recall@5 xling-dev, light vs build question vectors",
                encoder["recall@5_light"],
                encoder["recall@5_build"],
                f"{encoder['recall@5_light'] - encoder['recall@5_build']:+.4f}",
                "no change",
            ]
        )
    scale = latency.get("scale") or {}
    if "ask_ms" in scale:
        rows.append(
            [
                f"warm `ask` p50 / p95 at {scale['chunks']:,} chunks",
                f"{scale['ask_ms']['p50']} / {scale['ask_ms']['p95']} ms",
                "",
                "",
                "≤ 25 / 50 ms",
            ]
        )
    news = latency.get("masakhanews") or {}
    if "ask_ms" in news:
        rows.append(
            [
                f"warm `ask` p50 / p95, news-dev questions over masakhanews ({news['chunks']:,} "
                "chunks)",
                f"{news['ask_ms']['p50']} / {news['ask_ms']['p95']} ms",
                "",
                "",
                "(≤ 25 / 50 ms at 100k chunks)",
            ]
        )
    peer_ms = (txtai.get("query") or {}).get("search_ms", {}).get("p50")
    if "retrieve_ms" in xling:
        mine = xling["retrieve_ms"]["p50"]
        rows.append(
            [
                "retrieval p50 (xling-dev) vs txtai hybrid search",
                f"{mine} ms",
                f"{peer_ms} ms" if peer_ms else "–",
                _ratio(mine, peer_ms),
                "≤ 0.5×",
            ]
        )
    for name, entry in (results.get("indexing") or {}).items():
        nb, enc, before = entry["newsbot"], entry["encode"], entry.get("baseline")
        variants = [("", nb)] + [
            (f" ({variant.get('settings', name)})", variant)
            for name, variant in entry.items()
            if isinstance(variant, dict) and name not in ("newsbot", "encode", "baseline")
        ]
        for label, variant in variants if before else []:
            if not variant:
                continue
            rounds = len(variant.get("rounds", ())) or 1
            alternated = f", mean of {rounds} alternated builds" if rounds > 1 else ""
            # Articles/s: both trees index the same articles, but may cut them into different
            # numbers of chunks (chunk overlap), so chunks/s would not compare the same work.
            rows.append(
                [
                    f"indexing {name}{label}: articles/s (wall; chunks/s in brackets) vs the "
                    f"baseline checkout{alternated}",
                    f"{_rate(variant['articles_per_s'])} ({_rate(variant['chunks_per_s'])})",
                    f"{_rate(before['articles_per_s'])} ({_rate(before['chunks_per_s'])})",
                    _ratio(variant["articles_per_s"], before["articles_per_s"]),
                    "≥ 1.5×",
                ]
            )
            mine, theirs = variant.get("articles_per_cpu_s"), before.get("articles_per_cpu_s")
            if mine and theirs:
                rows.append(
                    [
                        f"indexing {name}{label}: articles per CPU-second vs the baseline",
                        _rate(mine),
                        _rate(theirs),
                        _ratio(mine, theirs),
                        "≥ 1.5×",
                    ]
                )
        for label, variant in variants:
            rows.append(
                [
                    f"indexing {name}{label}: peak RSS vs plain encode",
                    f"{variant['peak_rss_mb']:,.0f} MB",
                    f"{enc['peak_rss_mb']:,.0f} MB",
                    _ratio(variant["peak_rss_mb"], enc["peak_rss_mb"]),
                    "≤ 1.3×",
                ]
            )
    rows.extend(_archive_goals(results.get("archive") or {}))
    ann = results.get("ann") or {}
    if "ivf" in ann:
        best = max(ann["ivf"], key=lambda row: (row["recall@10"] >= 0.95, -row["ms"]["p50"]))
        rows.append(
            [
                f"large-index option at {ann['chunks']:,} chunks: recall@10 vs exact, p50",
                f"{best['recall@10']}, {best['ms']['p50']} ms (nprobe {best['nprobe']})",
                f"exact: 1.0, {ann['exact_ms']['p50']} ms",
                _ratio(best["ms"]["p50"], ann["exact_ms"]["p50"]),
                "recall ≥ 0.95",
            ]
        )
    header = ["goal", "newsbot", "baseline / peer", "ratio", "target"]
    return markdown_table(header, rows) if rows else "(no goal measured in this run)"


def _archive_goals(whole: Result) -> list[list[object]]:
    """The whole-OrangeSum build (``--archive``): its time against the goal, and latency on it."""
    if "newsbot" not in whole:
        return []
    nb, enc = whole["newsbot"], whole["encode_sample"]
    settings = nb.get("settings")
    if settings is None and nb.get("embed_text") == "content":  # runs before "settings" existed
        settings = "NEWSBOT_EMBED_TEXT=content"
    reads = f" ({settings})" if settings else ""
    rows: list[list[object]] = [
        [
            f"indexing the whole OrangeSum archive{reads} ({nb['articles']:,} articles, "
            f"{nb['chunks']:,} chunks): build time, chunks/s vs plain encode",
            f"{nb['seconds'] / 60:.1f} min, {_rate(nb['chunks_per_s'])} chunks/s",
            f"{_rate(enc['chunks_per_s'])} chunks/s (a {enc['chunks']:,}-chunk sample)",
            _ratio(nb["chunks_per_s"], enc["chunks_per_s"]),
            "≤ 15 min",
        ],
        [
            "indexing the whole OrangeSum archive: peak RSS, index size",
            f"{nb['peak_rss_mb']:,.0f} MB, {_mb(nb['index_bytes'])}",
            f"plain encode of the sample: {enc['peak_rss_mb']:,.0f} MB",
            "",
            "",
        ],
    ]
    latency = whole.get("latency") or {}
    if "ask_ms" in latency:
        rows.append(
            [
                f"warm `ask` p50 / p95 on the archive ({latency['chunks']:,} chunks, real "
                "vectors), retrieval p50",
                f"{latency['ask_ms']['p50']} / {latency['ask_ms']['p95']} ms, "
                f"{latency['retrieve_ms']['p50']} ms",
                "",
                "",
                "≤ 25 / 50 ms",
            ]
        )
    return rows


def _indexing(results: Result) -> str:
    txtai = results.get("txtai") or {}
    rows = []
    for name, entry in (results.get("indexing") or {}).items():
        nb, enc = entry["newsbot"], entry["encode"]
        peer = txtai.get("build") if name == "xling-dev" else None
        rows.append(
            [
                name,
                nb["articles"],
                nb["chunks"],
                _rate(nb["articles_per_s"]),
                _rate(nb["chunks_per_s"]),
                _rate(enc["chunks_per_s"]),
                _ratio(nb["chunks_per_s"], enc["chunks_per_s"]),
                _rate(peer["chunks_per_s"]) if peer else None,
                _ratio(nb["chunks_per_s"], peer["chunks_per_s"]) if peer else "–",
                f"{nb['peak_rss_mb']:,.0f} / {enc['peak_rss_mb']:,.0f} MB",
                _mb(nb["index_bytes"]),
            ]
        )
    header = [
        "corpus", "articles", "chunks", "newsbot art/s", "newsbot chunks/s",
        "plain encode chunks/s", "newsbot / encode", "txtai chunks/s", "newsbot / txtai",
        "peak RSS newsbot / encode", "index size",
    ]  # fmt: skip
    note = (
        "newsbot's time covers reading, chunking, embedding, BM25 and writing the generation; "
        "the plain-encode baseline only embeds the same chunk texts in one call (same model, "
        "precision and batch size). Model load time is excluded from both."
    )
    return markdown_table(header, rows) + "\n\n" + note


def _latency(results: Result) -> str:
    txtai = results.get("txtai") or {}
    query = txtai.get("query") or {}
    rows = []
    for name, entry in (results.get("latency") or {}).items():
        if "error" in entry:
            rows.append([name, f"failed: {entry['error']}", *[""] * 9])
            continue
        peer_p50 = query.get("search_ms", {}).get("p50") if name == "xling-dev" else None
        peer_cold = txtai.get("cold_start_s") if name == "xling-dev" else None
        rows.append(
            [
                name,
                entry.get("question_set", "xling-dev"),
                entry["chunks"],
                f"{entry['ask_ms']['p50']} / {entry['ask_ms']['p95']}",
                f"{entry['retrieve_ms']['p50']} / {entry['retrieve_ms']['p95']}",
                f"{entry['cold_start']['seconds']} s",
                f"{entry['peak_rss_mb']:,.0f} MB",
                peer_p50,
                _ratio(entry["retrieve_ms"]["p50"], peer_p50),
                f"{peer_cold} s" if peer_cold else "–",
                _ratio(entry["cold_start"]["seconds"], peer_cold),
            ]
        )
    header = [
        "index", "questions", "chunks", "ask p50 / p95 ms", "retrieve p50 / p95 ms", "cold start",
        "peak RSS", "txtai search p50 ms", "newsbot retrieve / txtai", "txtai cold start",
        "newsbot / txtai cold",
    ]  # fmt: skip
    some = next((e for e in (results.get("latency") or {}).values() if "error" not in e), None)
    if some is None:
        return markdown_table(header, rows)
    note = (
        f"`ask` = retrieve + answer through AnswerService, {some['questions']} questions of the "
        "set named (English and French alternating) after 5 warm-up questions: xling-dev's "
        "are Wikipedia-style, news-dev's are asked as in a chat and their articles are long "
        "news stories, so the reader reads more sentences; `retrieve` = hybrid "
        "retrieval of the top 5 chunks alone, comparable to a txtai hybrid search of 5. Cold "
        f"start = {some['cold_start']['command']}, process start to printed answer, median of "
        f"{len(some['cold_start']['runs'])}. Lower is better; a ratio below 1 favours newsbot."
    )
    return markdown_table(header, rows) + "\n\n" + note


def _quality(results: Result) -> str:
    txtai = (results.get("txtai") or {}).get("query") or {}
    rows = []
    for name, report in (results.get("quality") or {}).items():
        if "error" in report:
            rows.append([name, f"failed: {report['error']}", *[""] * 11])
            continue
        for lang, s in report["by_lang"].items():
            bm25 = report["baselines"]["bm25"]["by_lang"][lang]
            dense = report["baselines"]["dense"]["by_lang"][lang]
            peer = txtai.get("by_lang", {}).get(lang) if name == "xling-dev" else None
            rows.append(
                [
                    name, lang, s["n"], s["recall@1"], s["recall@5"], s["recall@20"], s["mrr"],
                    s["answer_hit"], s["false_abstain"], bm25["recall@5"], dense["recall@5"],
                    peer["recall@5"] if peer else None,
                    _ratio(s["recall@5"], peer["recall@5"]) if peer else "–",
                ]
            )  # fmt: skip
        latency = report["latency_ms"]
        rows.append([name, "latency", "", "", "", "", "", "", "", "", "", "",
                     f"p50 {latency['p50']} ms, p95 {latency['p95']} ms"])  # fmt: skip
    header = [
        "set", "lang", "n", "R@1", "R@5", "R@20", "MRR", "answer hit", "false abstain",
        "BM25 R@5", "dense R@5", "txtai R@5", "newsbot / txtai R@5",
    ]  # fmt: skip
    note = (
        "Article-level recall: a question counts as found when a chunk of its gold article is "
        "ranked. Answer hit: an accepted answer string appears (case- and accent-insensitively) "
        "in the answer text. The dev sets have no unanswerable questions, so abstaining on "
        "them is always a false abstention."
    )
    return markdown_table(header, rows) + "\n\n" + note


def _notes(results: Result) -> str:
    opts = results["options"]
    scale = results.get("scale_index") or {"error": "not built in this run"}
    txtai = results.get("txtai") or {}
    limit = opts.get("limit")
    if "error" in scale:
        scale = {"chunks": 0, "articles": 0, "real_vectors": 0, "borrowed_vectors": 0}
    lines = [
        f"- Command (from the repo root): `{_command(opts)}`.",
        f"- OrangeSum indexing uses the first {limit:,} of 35,987 articles (`--limit`; 0 = all)."
        if limit
        else "- OrangeSum indexing uses all 35,987 articles.",
        f"- The `scale` index ({scale['chunks']:,} chunks, {scale['articles']:,} articles) holds "
        f"real OrangeSum text, so SQLite and BM25 are real at that size; "
        f"{scale['real_vectors']:,} chunks carry their own vectors (from the OrangeSum build) and "
        f"the other {scale['borrowed_vectors']:,} carry another chunk's real vector plus small "
        "noise, because embedding them all would take most of an hour here. Dense search cost "
        "depends only on the vector count, so latency is representative; answers on it are not.",
    ]
    if "skipped" in txtai or "error" in txtai:
        lines.append(f"- txtai skipped: {txtai.get('skipped') or txtai.get('error')}.")
    else:
        lines.append(
            "- txtai 9.14 (`pip install -e '.[bench]'`): `Embeddings(path=<the same local "
            "all-MiniLM-L6-v2>, content=True, hybrid=True)`, bfloat16 like newsbot, indexing "
            "the same chunk texts (title + passage) as newsbot's xling-dev index; recall is "
            "scored at the article level from its top 80 chunks, like newsbot's."
        )
    return "\n".join(lines)


def main() -> None:
    """Re-render a results file: ``python -m benchmarks.report [RESULTS_JSON]``."""
    source = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "results/latest.json"
    )
    source.with_suffix(".md").write_text(render_markdown(json.loads(source.read_text("utf-8"))))


if __name__ == "__main__":
    main()
