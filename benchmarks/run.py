"""newsbot's benchmark suite: indexing, query latency, quality, and txtai as a peer, in one run.

    python -m benchmarks.run                 # about 25 minutes on 2 cores
    python -m benchmarks.run --quick --skip-txtai    # a smoke test of the suite, ~3 minutes

Writes ``benchmarks/results/latest.json`` and ``benchmarks/results/latest.md``. Every phase runs
in its own process (``benchmarks.phases``, ``benchmarks.peer_txtai``), so its peak RSS is its
own and nothing is warm unless the phase warms it. Built indexes go to ``benchmarks/.cache/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.milvus_phase import section
from benchmarks.phases import first_lines
from benchmarks.report import render_markdown

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CACHE = REPO / "benchmarks" / ".cache"
RESULTS = REPO / "benchmarks" / "results"
MASAKHANEWS = SHARED / "corpus" / "masakhanews-fra.jsonl"
ORANGESUM = SHARED / "corpus" / "orangesum.jsonl.gz"
EVAL_SETS = {"xling-dev": SHARED / "eval" / "xling-dev", "piaf-dev": SHARED / "eval" / "piaf-dev"}
LATENCY_QUESTIONS = EVAL_SETS["xling-dev"] / "questions.jsonl"
#: Chat-style news questions over the BBC Afrique articles (news-dev reads masakhanews): the
#: reader reads long news articles for them, not encyclopaedia paragraphs.
NEWS_QUESTIONS = SHARED / "eval" / "news-dev" / "questions.jsonl"
COLD_QUESTION = "Quelle équipe a représenté l'AFC au Super Bowl 50 ?"
DEFAULT_LIMIT = 2000
DEFAULT_SCALE_CHUNKS = 100_000
DEFAULT_ANN_CHUNKS = 1_000_000
# Builds measured beside the default one (--with-<name>): the setting each changes.
BUILD_VARIANTS = {
    "int8": {"NEWSBOT_EMBEDDING_PRECISION": "int8"},
    "content": {"NEWSBOT_EMBED_TEXT": "content"},
    "processes": {"NEWSBOT_BUILD_PROCESSES": "2"},
    "eager": {"NEWSBOT_EMBEDDING_GRAPH": "eager"},  # the model run without the fused graph
    "fused": {"NEWSBOT_EMBEDDING_GRAPH": "fused"},  # fused even where auto is eager (float32)
}

Result = dict[str, Any]


def settings_text(env: dict[str, str]) -> str:
    """``NEWSBOT_EMBED_TEXT=content``: a build variant's setting as a user would type it."""
    return " ".join(f"{name}={value}" for name, value in env.items())


@dataclass
class Child:
    """A finished phase process: its JSON result, wall time and peak resident memory."""

    result: Result
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float = 0.0  # user + system: steadier than wall time on a busy machine


class PhaseError(RuntimeError):
    pass


def child_env() -> dict[str, str]:
    """The parent's environment without NEWSBOT_ settings: phases run on defaults, offline."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(
        HF_HUB_OFFLINE="1",
        HF_HUB_DISABLE_PROGRESS_BARS="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    return env


def run_child(args: Sequence[str], *, extra_env: dict[str, str] | None = None) -> Child:
    """Run a command from CACHE (so no developer `.env` is read); peak RSS via ``os.wait4``."""
    env = child_env() | (extra_env or {})
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        process = subprocess.Popen(list(args), stdout=out, cwd=CACHE, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        stdout = out.read().decode("utf-8", errors="replace")
    if process.returncode != 0:
        raise PhaseError(f"{' '.join(args[:4])}… exited with {process.returncode}")
    last = next((line for line in reversed(stdout.splitlines()) if line.startswith("{")), "{}")
    cpu = usage.ru_utime + usage.ru_stime
    return Child(
        json.loads(last), round(seconds, 2), round(usage.ru_maxrss / 1024, 1), round(cpu, 2)
    )


def newsbot_command() -> list[str]:
    """The installed `newsbot` script, else its equivalent (never `-m bot.cli`: see below).

    ``python -m bot.cli`` runs the module as ``__main__``, so front ends that import ``bot.cli``
    would load it a second time; the script imports it once, as users run it.
    """
    script = Path(sys.executable).parent / "newsbot"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from bot.cli import main; main()"]


def phase(*args: str, env: dict[str, str] | None = None) -> Child:
    return run_child([sys.executable, "-m", "benchmarks.phases", *args], extra_env=env)


def baseline_phase(tree: Path, *args: str) -> Child:
    """A phase of the baseline checkout (``--baseline-tree``): newsbot as it was before."""
    return run_child(
        [sys.executable, "-m", "benchmarks.phases", *args], extra_env={"PYTHONPATH": str(tree)}
    )


def txtai_phase(*args: str) -> Child:
    return run_child([sys.executable, "-m", "benchmarks.peer_txtai", *args])


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the steps ------------------------------------------------------------------------------


def index_and_encode(
    name: str,
    corpus: Path,
    *,
    eval_cache: Path | None = None,
    baseline: Path | None = None,
    variants: Sequence[str] = (),
    rounds: int = 1,
) -> Result:
    """Build ``corpus`` with newsbot, each variant and the baseline, in turn, ``rounds`` times:
    alternated, a slow spell of the machine hits every build alike instead of one of them."""
    extra = ["--eval-cache", str(eval_cache)] if eval_cache else []
    builds: dict[str, list[Result]] = {}
    for round_ in range(1, rounds + 1):
        of = f" (round {round_} of {rounds})" if rounds > 1 else ""
        log(f"indexing {name}{of}")
        target = str(CACHE / f"idx-{name}")
        made = phase("index", "--corpus", str(corpus), "--index-dir", target, *extra)
        builds.setdefault("newsbot", []).append(made.result | _usage(made))
        for variant in variants:  # the same build with one setting changed
            env = BUILD_VARIANTS[variant]
            log(f"indexing {name} with {settings_text(env)}{of}")
            target = str(CACHE / f"idx-{variant}-{name}")
            made = phase("index", "--corpus", str(corpus), "--index-dir", target, env=env)
            settings = {"settings": settings_text(env)}
            builds.setdefault(variant, []).append(made.result | _usage(made) | settings)
        if baseline is not None:
            log(f"indexing {name} with the baseline checkout {baseline}{of}")
            target = str(CACHE / f"idx-baseline-{name}")
            made = baseline_phase(baseline, "index", "--corpus", str(corpus), "--index-dir", target)
            builds.setdefault("baseline", []).append(made.result | _usage(made))
    built = builds["newsbot"][-1]
    log(f"plain SentenceTransformer.encode over the same {built['chunks']} chunks")
    encoded = phase("encode", "--index-dir", built["index_dir"])
    entry = {"corpus": corpus.name, "encode": encoded.result | _usage(encoded)}
    return entry | {build: _over_rounds(results) for build, results in builds.items()}


def _over_rounds(results: list[Result]) -> Result:
    """One build's results over its rounds: mean times (so ratios are ratios of total times),
    the highest peak RSS, and each round's own figures under "rounds"."""
    if len(results) == 1:
        return results[0]
    merged = dict(results[-1])
    for key in ("seconds", "embed_seconds", "wall_seconds", "cpu_seconds"):
        if all(result.get(key) is not None for result in results):
            merged[key] = round(statistics.fmean(result[key] for result in results), 2)
    merged["peak_rss_mb"] = max(result["peak_rss_mb"] for result in results)
    for count, per in (("articles", "articles_per_s"), ("embedded_chunks", "chunks_per_s")):
        merged[per] = round(merged[count] / merged["seconds"], 2)
    merged |= _per_cpu_second(merged, merged.get("cpu_seconds"))
    kept = ("seconds", "articles_per_s", "chunks_per_s", "cpu_seconds", "peak_rss_mb")
    merged["rounds"] = [{key: result.get(key) for key in kept} for result in results]
    return merged


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _variant_names(text: str) -> list[str]:
    names = _comma_list(text)
    unknown = [name for name in names if name not in BUILD_VARIANTS]
    if unknown or not names:
        known = ",".join(BUILD_VARIANTS)
        raise argparse.ArgumentTypeError(
            f"unknown build variant {','.join(unknown) or text!r}; known: {known}"
        )
    return names


def _usage(child: Child) -> Result:
    """Peak RSS, wall and CPU time of a phase; chunks and articles per CPU-second when it embedded.

    A build's embedding workers (NEWSBOT_BUILD_PROCESSES) are its own children, whose memory
    ``wait4`` does not add up: their peaks count on top of the phase's."""
    usage: Result = {
        "peak_rss_mb": round(child.peak_rss_mb + child.result.get("worker_peak_rss_mb", 0), 1),
        "wall_seconds": child.seconds,
        "cpu_seconds": child.cpu_seconds,
    }
    return usage | _per_cpu_second(child.result, child.cpu_seconds)


def _per_cpu_second(result: Result, cpu_seconds: float | None) -> Result:
    """Chunks and articles per CPU-second of a phase that embedded (nothing for the others)."""
    chunks = result.get("embedded_chunks") or result.get("chunks")
    if not (chunks and cpu_seconds):
        return {}
    rates: Result = {"chunks_per_cpu_s": round(chunks / cpu_seconds, 2)}
    if result.get("articles"):
        rates["articles_per_cpu_s"] = round(result["articles"] / cpu_seconds, 3)
    return rates


def archive(args: argparse.Namespace) -> Result:
    """The whole OrangeSum corpus indexed as an admin would (goal: 15 minutes here), a plain
    encode of a sample of its chunks for the ratio, and warm latency on its real-text index."""
    env = {k: v for name in args.archive_variant or [] for k, v in BUILD_VARIANTS[name].items()}
    with_env = f" with {settings_text(env)}" if env else ""
    log(f"indexing the whole archive, {ORANGESUM.name}{with_env} (about half an hour on 2 cores)")
    target = CACHE / "idx-archive"
    built = phase("index", "--corpus", str(ORANGESUM), "--index-dir", str(target), env=env or None)
    sample = str(args.archive_encode_sample)
    log(f"plain SentenceTransformer.encode over {sample} of its {built.result['chunks']} chunks")
    encoded = phase("encode", "--index-dir", built.result["index_dir"], "--sample", sample)
    log("query latency on the archive index")
    index_dir = Path(built.result["index_dir"])
    return {
        "corpus": ORANGESUM.name,
        "newsbot": built.result | _usage(built) | {"settings": settings_text(env)},
        "encode_sample": encoded.result | _usage(encoded),
        "latency": latency(index_dir, LATENCY_QUESTIONS, args, None),
    }


def orangesum_subset(limit: int | None) -> Path:
    if limit is None:
        return ORANGESUM
    return first_lines(ORANGESUM, CACHE / f"orangesum-first-{limit}.jsonl", limit)


def txtai_peer(index_dir: Path, questions: Path, cold_runs: int) -> Result:
    out = CACHE / "txtai-xling-dev"
    log("txtai: indexing the same chunks")
    built = txtai_phase("build", "--index-dir", str(index_dir), "--out", str(out))
    log("txtai: recall and search latency")
    queried = txtai_phase(
        "query", "--index-dir", str(index_dir), "--out", str(out), "--questions", str(questions)
    )
    cold = [
        txtai_phase("first-answer", "--out", str(out), "--question", COLD_QUESTION).seconds
        for _ in range(cold_runs)
    ]
    return {
        "build": built.result | {"peak_rss_mb": built.peak_rss_mb},
        "query": queried.result | {"peak_rss_mb": queried.peak_rss_mb},
        "cold_start_s": round(statistics.median(cold), 2),
        "cold_start_runs": cold,
    }


def quality(name: str, folder: Path, limit: int | None) -> Result:
    log(f"newsbot eval on {name}")
    out = CACHE / f"eval-{name}.json"
    child = run_child(
        [*newsbot_command(), "eval", "--corpus", str(folder / "corpus.jsonl"),
         "--questions", str(folder / "questions.jsonl"), "--json", str(out),
         "--cache-dir", str(CACHE / "eval-cache"),
         *(["--limit", str(limit)] if limit else [])]
    )  # fmt: skip
    report: Result = json.loads(out.read_text("utf-8"))
    return report | {"wall_seconds": child.seconds, "peak_rss_mb": child.peak_rss_mb}


def latency(
    index_dir: Path, questions: Path, args: argparse.Namespace, baseline_index: Path | None
) -> Result:
    child = phase(
        "latency", "--index-dir", str(index_dir), "--questions", str(questions),
        "--count", str(args.latency_questions),
    )  # fmt: skip
    cold = cold_start(index_dir, args.cold_runs)
    result = child.result | {
        "peak_rss_mb": child.peak_rss_mb,
        "cold_start": cold,
        "question_set": questions.parent.name,
    }
    if baseline_index is not None and args.baseline_tree is not None:
        log(f"cold start of the baseline checkout on {baseline_index.name}")
        result["baseline_cold_start"] = cold_start(
            baseline_index, args.cold_runs, tree=args.baseline_tree
        )
    return result


def cold_start(index_dir: Path, runs: int, *, tree: Path | None = None) -> Result:
    """Process start to first answer: `newsbot ask QUESTION --json`, median of ``runs``.

    The first run also makes the model cache (ONNX export, language model copy) when a build
    did not: it is left out of the median when there are several runs.
    """
    how = "newsbot ask QUESTION --json"
    env = {"NEWSBOT_INDEX_DIR": str(index_dir)}
    command = [*newsbot_command(), "ask", COLD_QUESTION, "--json"]
    if tree is not None:
        command = [sys.executable, "-c", "from bot.cli import main; main()", "ask", COLD_QUESTION]
        command.append("--json")
        env["PYTHONPATH"] = str(tree)
    times = [run_child(command, extra_env=env).seconds for _ in range(runs)]
    counted = times[1:] if len(times) > 2 else times
    return {"seconds": round(statistics.median(counted), 2), "runs": times, "command": how}


def encoder_check(index_dir: Path) -> Result:
    log("light question encoder against the build encoder (cosine, recall@5)")
    child = phase("encoder", "--index-dir", str(index_dir), "--questions", str(LATENCY_QUESTIONS))
    return child.result


def ann(source_index: Path, args: argparse.Namespace) -> Result:
    log(f"large-index option at {args.ann_chunks:,} chunks (borrowed vectors)")
    child = run_child(
        [sys.executable, "-m", "benchmarks.ann", "--source-index", str(source_index),
         "--questions", str(LATENCY_QUESTIONS), "--chunks", str(args.ann_chunks)]
    )  # fmt: skip
    return child.result | {"peak_rss_mb": child.peak_rss_mb, "wall_seconds": child.seconds}


def machine() -> Result:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    import torch

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def guarded(into: Result, key: str, step: Callable[[], Result]) -> None:
    """Run one step; a failed phase is recorded in the results and the run goes on."""
    try:
        into[key] = step()
    except PhaseError as exc:
        log(f"{key} failed: {exc}")
        into[key] = {"error": str(exc)}


SECTIONS = (
    "indexing", "txtai", "quality", "scale", "latency", "encoder", "ann", "backends", "archive",
)  # fmt: skip


#: Options that only shape sections a partial re-run (``--only``) can measure again.
RERUN_OPTIONS = ("scale_chunks", "latency_questions", "cold_runs", "ann_chunks")
# Options that describe one section only: taken from this run when it reran that section.
SECTION_OPTIONS = {
    "indexing": [f"with_{variant}" for variant in BUILD_VARIANTS],
    "archive": ["archive", "archive_encode_sample", "archive_variant"],
}


def run(args: argparse.Namespace, out: Path) -> Result:
    """Every section in order; with ``--only``, the other sections come from the last run."""
    started = time.perf_counter()
    results: Result = {"machine": machine(), "options": options(args)}
    wanted = set(args.only or SECTIONS)
    if not args.archive and not args.only:  # the hour-long archive build runs only when asked
        wanted.discard("archive")
    previous: Result = {}
    if args.only and (out / "latest.json").is_file():  # else: the first run in this folder
        previous = json.loads((out / "latest.json").read_text("utf-8"))
        kept = [s for s in SECTIONS if s not in wanted]
        results.update({key: previous[key] for key in _keys(kept) if key in previous})
        earlier = previous.get("measured_in") or dict.fromkeys(SECTIONS, previous["machine"])
        results["measured_in"] = {s: earlier[s] for s in kept if s in earlier}
        rerun = {*RERUN_OPTIONS, *(o for s in wanted for o in SECTION_OPTIONS.get(s, ()))}
        results["options"] = previous["options"] | {
            k: v for k, v in results["options"].items() if k in rerun
        }

    def checkpoint() -> None:
        results["total_minutes"] = round((time.perf_counter() - started) / 60, 1)
        results["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        out.mkdir(parents=True, exist_ok=True)
        (out / "partial.json").write_text(json.dumps(results, indent=2, default=str) + "\n")

    if "indexing" in wanted:
        earlier_indexing = previous.get("indexing", {}) if args.only else {}
        results["indexing"] = earlier_indexing | indexing(args)  # --index-corpora: keep others
        checkpoint()
    xling_index = _index_of(results, "xling-dev")
    orangesum_index = _index_of(results, "orangesum")
    if "txtai" in wanted:
        guarded(results, "txtai", lambda: txtai_or_skip(args, xling_index))
        checkpoint()
    if "quality" in wanted:
        results["quality"] = {}
        for name, folder in EVAL_SETS.items():
            guarded(results["quality"], name, partial(quality, name, folder, args.eval_limit))
            checkpoint()
    if "scale" in wanted:
        guarded(results, "scale_index", lambda: scale_index(orangesum_index, args.scale_chunks))
    if "latency" in wanted:
        indexes = {
            "xling-dev": (xling_index, LATENCY_QUESTIONS),
            "orangesum": (orangesum_index, LATENCY_QUESTIONS),
        }
        if "masakhanews" in results.get("indexing", {}):
            indexes["masakhanews"] = (_index_of(results, "masakhanews"), NEWS_QUESTIONS)
        if "index_dir" in results.get("scale_index", {}):
            indexes["scale"] = (Path(results["scale_index"]["index_dir"]), LATENCY_QUESTIONS)
        results["latency"] = {}
        for name, (directory, questions) in indexes.items():
            log(f"query latency and cold start on {name} ({questions.parent.name} questions)")
            before = results["indexing"].get(name, {}).get("baseline", {}).get("index_dir")
            baseline_index = Path(before) if before else None
            measure = partial(latency, directory, questions, args, baseline_index)
            guarded(results["latency"], name, measure)
            checkpoint()
    if "encoder" in wanted:
        guarded(results, "encoder", lambda: encoder_check(xling_index))
        checkpoint()
    if "ann" in wanted and args.ann_chunks:
        guarded(results, "ann", lambda: ann(orangesum_index, args))
        checkpoint()
    if "backends" in wanted:  # issue 12: FAISS and Milvus on one corpus (benchmarks/milvus_phase)
        guarded(results, "backends", lambda: section(xling_index, args.latency_questions))
        checkpoint()
    if "archive" in wanted:
        guarded(results, "archive", lambda: archive(args))
        checkpoint()
    checkpoint()
    results.setdefault("measured_in", {})
    results["measured_in"].update(dict.fromkeys(wanted, results["machine"]))
    return results


def _index_of(results: Result, name: str) -> Path:
    """The newsbot index built for ``name`` (a missing one makes the phases using it fail)."""
    entry = results.get("indexing", {}).get(name)
    return Path(entry["newsbot"]["index_dir"]) if entry else CACHE / f"missing-idx-{name}"


def _keys(sections: Sequence[str]) -> list[str]:
    return ["scale_index" if section == "scale" else section for section in sections]


def indexing(args: argparse.Namespace) -> Result:
    masakhanews = MASAKHANEWS
    if args.masakhanews_limit:
        target = CACHE / f"masakhanews-first-{args.masakhanews_limit}.jsonl"
        masakhanews = first_lines(MASAKHANEWS, target, args.masakhanews_limit)
    tree = args.baseline_tree
    variants = [name for name in BUILD_VARIANTS if getattr(args, f"with_{name}")]
    rounds = args.index_rounds
    steps = {
        "masakhanews": lambda: index_and_encode(
            "masakhanews", masakhanews, baseline=tree, variants=variants, rounds=rounds
        ),
        "orangesum": lambda: index_and_encode(
            "orangesum",
            orangesum_subset(args.limit),
            baseline=tree,
            variants=variants,
            rounds=rounds,
        ),
        "xling-dev": lambda: index_and_encode(
            "xling-dev",
            EVAL_SETS["xling-dev"] / "corpus.jsonl",
            eval_cache=CACHE / "eval-cache",
            baseline=tree,
            variants=variants,
            rounds=rounds,
        ),
    }
    wanted = args.index_corpora or list(steps)
    return {name: step() for name, step in steps.items() if name in wanted}


def options(args: argparse.Namespace) -> Result:
    names = ["limit", "scale_chunks", "latency_questions", "cold_runs", "skip_txtai"]
    names += ["masakhanews_limit", "eval_limit", "ann_chunks", "baseline_tree"]
    names += [f"with_{variant}" for variant in BUILD_VARIANTS]
    names += ["archive", "archive_encode_sample", "archive_variant"]
    names += ["index_corpora"]
    return {name: getattr(args, name) for name in names}


def txtai_or_skip(args: argparse.Namespace, xling_index: Path) -> Result:
    from benchmarks import peer_txtai

    skipped = "--skip-txtai" if args.skip_txtai else peer_txtai.available()
    if skipped is not None:
        log(f"txtai skipped: {skipped}")
        return {"skipped": skipped}
    return txtai_peer(xling_index, LATENCY_QUESTIONS, args.cold_runs)


def scale_index(orangesum_index: Path, chunks: int) -> Result:
    log(f"building a {chunks}-chunk index from real OrangeSum text")
    scaled = phase(
        "scale", "--source-index", str(orangesum_index), "--corpus", str(ORANGESUM),
        "--target-chunks", str(chunks), "--index-dir", str(CACHE / "idx-scale"),
        "--work", str(CACHE),
    )  # fmt: skip
    return scaled.result | {"peak_rss_mb": scaled.peak_rss_mb}


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    cli.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT,
        help=f"OrangeSum articles to index (default {DEFAULT_LIMIT}; 0 = all 35,987)",
    )  # fmt: skip
    cli.add_argument(
        "--scale-chunks", type=int, default=DEFAULT_SCALE_CHUNKS,
        help="chunks in the large index used for latency (default 100000)",
    )  # fmt: skip
    cli.add_argument("--latency-questions", type=int, default=60, help="timed questions per index")
    cli.add_argument("--cold-runs", type=int, default=3, help="cold starts per index (median)")
    cli.add_argument("--skip-txtai", action="store_true", help="leave out the txtai peer")
    cli.add_argument("--masakhanews-limit", type=int, default=None, help="default: all 881")
    cli.add_argument("--eval-limit", type=int, default=None, help="questions per dev set")
    cli.add_argument(
        "--quick", action="store_true", help="tiny sizes everywhere: checks the suite runs"
    )
    cli.add_argument(
        "--ann-chunks", type=int, default=DEFAULT_ANN_CHUNKS,
        help="chunks for the large-index option's recall and latency (default 1,000,000; 0 skips)",
    )  # fmt: skip
    cli.add_argument(
        "--baseline-tree", type=Path, default=None,
        help="a checkout of newsbot before the speed work (e.g. `git worktree add /tmp/base "
        "9a94f74`): its indexing and cold start run beside today's",
    )  # fmt: skip
    for variant, env in BUILD_VARIANTS.items():
        cli.add_argument(
            f"--with-{variant}", action="store_true",
            help=f"also index each corpus with {settings_text(env)}",
        )  # fmt: skip
    cli.add_argument(
        "--index-corpora",
        type=_comma_list,
        default=None,
        help="index only these of masakhanews,orangesum,xling-dev (default: all three)",
    )
    cli.add_argument(
        "--index-rounds", type=int, default=1,
        help="build each corpus this many times with each tree, alternated; ratios compare the "
        "mean times (default 1)",
    )  # fmt: skip
    cli.add_argument(
        "--archive", action="store_true",
        help="also index the whole OrangeSum corpus (35,987 articles, about an hour here)",
    )  # fmt: skip
    cli.add_argument(
        "--archive-encode-sample", type=int, default=20_000,
        help="chunks of the archive the plain-encode baseline embeds (default 20,000)",
    )  # fmt: skip
    cli.add_argument(
        "--archive-variant", type=_variant_names, default=None,
        help="build the archive with these settings changed (comma-separated names of "
        f"{','.join(BUILD_VARIANTS)}), as --with-<name> does for the others",
    )  # fmt: skip
    cli.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    cli.add_argument(
        "--only",
        type=_comma_list,
        default=None,
        help=f"re-run only these sections of the last run ({','.join(SECTIONS)}); "
        "the others are kept from OUT/latest.json",
    )
    return cli


QUICK = {
    "limit": 200,
    "scale_chunks": 5000,
    "latency_questions": 5,
    "cold_runs": 1,
    "masakhanews_limit": 100,
    "eval_limit": 20,
    "ann_chunks": 20_000,
}


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
        args.out = CACHE / "quick" if args.out == RESULTS else args.out
    unknown = sorted(set(args.only or ()) - set(SECTIONS))
    if unknown:
        sys.exit(f"error: unknown section {unknown[0]!r} for --only; use {','.join(SECTIONS)}")
    if args.index_rounds < 1:
        sys.exit(f"error: --index-rounds must be at least 1, not {args.index_rounds}")
    if args.limit == 0:
        args.limit = None
    missing = [p for p in (MASAKHANEWS, ORANGESUM, *EVAL_SETS.values()) if not p.exists()]
    if missing:
        sys.exit(f"error: {missing[0]} is missing; the shared data belongs beside the repo")
    results = run(args, args.out)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (args.out / "latest.md").write_text(render_markdown(results))
    (args.out / "partial.json").unlink(missing_ok=True)
    log(f"wrote {args.out / 'latest.json'} and latest.md in {results['total_minutes']} min")


if __name__ == "__main__":
    main()
