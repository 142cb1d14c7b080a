"""What `newsbot index update` costs to add a few articles to a large index, against another
checkout of newsbot in the same run.

    python -m benchmarks.update --index benchmarks/.cache/idx-archive \
        --corpus ../shared/corpus/masakhanews-fra.jsonl --baseline-tree /tmp/prev

The index (``--index``, e.g. the archive ``benchmarks.run --archive`` builds) is never changed:
each round copies it, and each tree, in its own process, updates its copy twice, adding
``--articles`` new articles from ``--corpus`` each time. The first update may have to cut every
stored article again (an index written by another version of newsbot); the second is what an
admin's next update costs. The trees alternate, ``--rounds`` times. Times are the builder's own
(model loading excluded), in seconds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
UPDATES = 2


def _worker(index_dir: Path, folders: Sequence[Path]) -> list[dict[str, Any]]:
    """Update ``index_dir`` from each folder in turn; runs with the measured tree's packages."""
    from bot.runtime import make_build_config, make_embedder
    from bot.settings import Settings
    from index.builder import build_index
    from index.store import IndexStore

    settings = Settings(index_dir=index_dir)
    embedder = make_embedder(settings)
    config = make_build_config(settings)
    out = []
    for folder in folders:
        store = IndexStore(index_dir)
        report = build_index(store, [folder], embedder, config, mode="update")
        out.append(
            {
                "seconds": round(report.seconds, 2),
                "added": report.added,
                "chunks": report.chunks,
                "embedded_chunks": report.embedded_chunks,
            }
        )
    return out


def _new_articles(corpus: Path, count: int, target: Path) -> list[Path]:
    """``UPDATES`` folders of ``count`` articles each: the first lines of ``corpus``."""
    with corpus.open(encoding="utf-8") as lines:
        records = [line for _, line in zip(range(count * UPDATES), lines, strict=False)]
    folders = []
    for n in range(UPDATES):
        folder = target / f"update-{n + 1}"
        folder.mkdir(parents=True)
        (folder / "new.jsonl").write_text("".join(records[n * count : (n + 1) * count]), "utf-8")
        folders.append(folder)
    return folders


def _run(tree: Path, index: Path, folders: Sequence[Path], scratch: Path) -> list[dict[str, Any]]:
    """The worker's two updates of a fresh copy of ``index``, with ``tree``'s packages."""
    from benchmarks.run import run_child

    copy = scratch / "index"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(index, copy)
    # Run as a file, not ``-m``: an older tree has no benchmarks.update of its own.
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(copy)]
    command += [str(folder) for folder in folders]
    try:
        updates: list[dict[str, Any]] = run_child(
            command, extra_env={"PYTHONPATH": str(tree)}
        ).result["updates"]
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    return updates


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, help="an index directory to copy and update")
    parser.add_argument("--corpus", type=Path, help="where the new articles come from")
    parser.add_argument("--articles", type=int, default=5, help="articles added per update")
    parser.add_argument("--baseline-tree", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    parser.add_argument("--worker", nargs="+", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps({"updates": _worker(args.worker[0], args.worker[1:])}))
        return 0
    if args.index is None or args.corpus is None:
        parser.error("--index and --corpus are required")

    sys.path.insert(0, str(REPO))
    from benchmarks.report import markdown_table

    trees = {"newsbot": REPO}
    if args.baseline_tree is not None:
        trees["baseline"] = args.baseline_tree.resolve()
    runs: dict[str, list[list[dict[str, Any]]]] = {name: [] for name in trees}
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    with tempfile.TemporaryDirectory() as temp:
        scratch = Path(temp)
        folders = _new_articles(args.corpus, args.articles, scratch / "new")
        for _ in range(args.rounds):
            for name, tree in trees.items():
                runs[name].append(_run(tree, args.index.resolve(), folders, scratch))
    header = ["tree", *(f"update {n + 1}, s (rounds)" for n in range(UPDATES)), "chunks after"]
    rows: list[list[object]] = []
    for name, done in runs.items():
        times = [" / ".join(str(run[n]["seconds"]) for run in done) for n in range(UPDATES)]
        rows.append([name, *times, done[-1][-1]["chunks"]])
    print(markdown_table(header, rows))
    if args.out:
        result = {"started": started, "index": str(args.index), "articles": args.articles}
        result |= {"trees": {k: str(v) for k, v in trees.items()}, "runs": runs}
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
