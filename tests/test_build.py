"""Building with the real model and real files, through the `newsbot` command as users run it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from index.builder import BuildConfig, build_index
from index.chunking import ChunkingConfig
from index.embedding import HashingEmbedder, SentenceTransformerEmbedder
from index.errors import IndexMismatchError
from index.store import CURRENT_FILE, MANIFEST_FILE, IndexStore

from .support import SAMPLE_DIR, shared_path

NEWSBOT = [sys.executable, "-m", "bot"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSBOT, *args], capture_output=True, text=True, env=env or dict(os.environ), timeout=600
    )


def first_lines(source: Path, target: Path, n: int) -> Path:
    with source.open(encoding="utf-8") as lines:
        target.write_text("".join(line for _, line in zip(range(n), lines, strict=False)), "utf-8")
    return target


def test_sample_build_stats_reload(
    tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    index_dir = tmp_path / "idx"
    built = run_cli("index", "build", str(SAMPLE_DIR), "--index-dir", str(index_dir))
    assert built.returncode == 0, built.stderr
    assert "1 articles" in built.stdout

    stats = run_cli("index", "stats", "--json", "--index-dir", str(index_dir))
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert data["articles"] == 1 and data["chunks"] >= 4
    assert data["model"] == "sentence-transformers/all-MiniLM-L6-v2" and data["dimension"] == 384
    assert (data["date_min"], data["outlets"]) == (
        "2023-02",
        [{"source": "journaldebangui", "articles": 1}],
    )
    assert data["size_bytes"] > 0

    loaded = IndexStore(index_dir).open(
        model_id=real_embedder.model_id, dimension=real_embedder.dimension
    )
    query = real_embedder.encode(["expulsion de l'ambassadeur de France"])[0]
    best_id, _ = loaded.vectors.search(query, 1)[0]
    assert "expulsion" in loaded.db.chunks([best_id])[best_id].text

    # Every chunk fits the model's 256 word-piece window, title included.
    texts = [chunk.embedding_text() for chunk in loaded.db.all_chunks()]
    assert max(real_embedder.count_tokens(texts)) <= 256


def test_update_embeds_only_what_changed(
    tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "lavrov.txt").write_text(
        (SAMPLE_DIR / "mali-russie-lavrov-2023-02.txt").read_text("utf-8")
    )
    store = IndexStore(tmp_path / "idx")
    first = build_index(store, [corpus], real_embedder, BuildConfig())
    assert first.embedded_chunks == first.chunks > 0

    (corpus / "dakar.txt").write_text(
        " date 2024-05-12 Sénégal : le nouveau port de Ndayane inauguré\n\n"
        "Le président sénégalais a inauguré samedi le port en eau profonde de Ndayane. "
        "Le chantier a coûté 1,1 milliard de dollars.\n\nAPS\n\nSourceURL: https://www.aps.sn/port\n",
        "utf-8",
    )
    second = build_index(store, [corpus], real_embedder, BuildConfig(), mode="update")
    assert (second.added, second.unchanged, second.updated) == (1, 1, 0)
    assert second.embedded_chunks == second.chunks - first.chunks == 1
    assert second.reused_chunks == first.chunks


class _CountingEmbedder:
    """The real model, noting every text whose tokens the chunker counted."""

    def __init__(self, embedder: SentenceTransformerEmbedder) -> None:
        self._embedder = embedder
        self.counted: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._embedder, name)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        self.counted.extend(texts)
        return self._embedder.count_tokens(texts)


def _chunks_by_article(store: IndexStore, embedder: SentenceTransformerEmbedder) -> dict:
    loaded = store.open(model_id=embedder.model_id, dimension=embedder.dimension)
    try:
        chunks: dict[str, list[tuple[int, int, int, str]]] = {}
        for chunk in loaded.db.all_chunks():
            chunks.setdefault(chunk.article_id, []).append(
                (chunk.id, chunk.start, chunk.end, chunk.text)
            )
        return chunks
    finally:
        loaded.close()


def test_update_keeps_unchanged_articles_chunks_and_cuts_only_the_new(
    tmp_path: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    """Re-chunking every stored article took 53 s of an 83 s update that added 5 articles to a
    140k-chunk index: unchanged articles keep their stored chunks, which are the ones a fresh
    build cuts."""
    news = shared_path("corpus", "masakhanews-fra.jsonl")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    first_lines(news, corpus / "old.jsonl", 12)
    store = IndexStore(tmp_path / "idx")
    build_index(store, [corpus], real_embedder, BuildConfig())
    old_titles = {json.loads(line)["title"] for line in (corpus / "old.jsonl").open()}

    lines = news.read_text("utf-8").splitlines()[12:15]
    (corpus / "new.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    new_titles = {json.loads(line)["title"] for line in lines}
    counting = _CountingEmbedder(real_embedder)
    update = build_index(store, [corpus], counting, BuildConfig(), mode="update")  # type: ignore[arg-type]
    assert (update.added, update.unchanged) == (3, 12)
    counted_titles = {text.split("\n", 1)[0] for text in counting.counted}
    assert counted_titles and counted_titles <= new_titles  # only new articles were cut

    fresh = IndexStore(tmp_path / "fresh")
    build_index(fresh, [corpus], real_embedder, BuildConfig())
    assert _chunks_by_article(store, real_embedder) == _chunks_by_article(fresh, real_embedder)

    # Another chunk size: every article is cut again, into other chunks.
    counting.counted.clear()
    smaller = BuildConfig(chunking=ChunkingConfig(max_words=60))
    build_index(store, [corpus], counting, smaller, mode="update")  # type: ignore[arg-type]
    assert old_titles <= {text.split("\n", 1)[0] for text in counting.counted}
    recut = _chunks_by_article(store, real_embedder)
    assert sum(map(len, recut.values())) > sum(
        map(len, _chunks_by_article(fresh, real_embedder).values())
    )


def test_model_mismatch_is_refused_with_rebuild_hint(sample_index_dir: Path) -> None:
    with pytest.raises(IndexMismatchError, match="newsbot index build"):
        IndexStore(sample_index_dir).open(model_id="intfloat/multilingual-e5-small", dimension=384)


def test_killed_build_leaves_old_index_loadable_and_unchanged(tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    assert run_cli("index", "build", str(SAMPLE_DIR), "--index-dir", str(index_dir)).returncode == 0
    current = (index_dir / CURRENT_FILE).read_text()
    manifest = (index_dir / current.strip() / MANIFEST_FILE).read_bytes()

    bigger = first_lines(shared_path("corpus", "masakhanews-fra.jsonl"), tmp_path / "m.jsonl", 40)
    proc = subprocess.Popen(
        [*NEWSBOT, "index", "build", str(bigger), str(SAMPLE_DIR), "--index-dir", str(index_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if list(index_dir.glob(".tmp-gen-*")):  # killed while the new generation is written
            break
        time.sleep(0.002)
    assert proc.poll() is None, "the build finished before it could be killed mid-write"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    assert (index_dir / CURRENT_FILE).read_text() == current
    assert (index_dir / current.strip() / MANIFEST_FILE).read_bytes() == manifest
    stats = run_cli("index", "stats", "--json", "--index-dir", str(index_dir))
    assert stats.returncode == 0 and json.loads(stats.stdout)["articles"] == 1


def test_masakhanews_and_seed_index_as_882_articles(tmp_path: Path) -> None:
    """The whole pipeline over the shared corpus; the hashing embedder keeps it to seconds
    (the real-model build of the same files is measured by the benchmarks)."""
    masakhane = shared_path("corpus", "masakhanews-fra.jsonl")
    seed = shared_path("corpus", "seed")
    index_dir = tmp_path / "idx"
    report = build_index(IndexStore(index_dir), [masakhane, seed], HashingEmbedder(), BuildConfig())
    assert (report.articles, report.skipped, report.duplicates) == (882, [], 0)
    stats = run_cli("index", "stats", "--json", "--index-dir", str(index_dir))
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert data["articles"] == 882 and data["chunks"] == report.chunks
    assert {o["source"] for o in data["outlets"]} == {"BBC Afrique", "journaldebangui"}
