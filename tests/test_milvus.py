"""The Milvus backend against milvus-lite (a real Milvus engine speaking the same API).

Every path the FAISS backend is tested on runs here too: build, update, filters, reindex swap,
a build killed midway, and one end-to-end answer with the real model. Storage logic uses the
hashing embedder; the FAISS backend built from the same files is the reference, since newsbot's
fusion and reader must see the same scores whichever backend holds the index.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip(
    "milvus_lite", reason="milvus-lite is not installed: pip install -e '.[milvus]' (setup.sh does)"
)

from bot.runtime import make_store
from bot.settings import load_settings
from index.builder import BuildConfig, build_index
from index.embedding import HashingEmbedder, SentenceTransformerEmbedder
from index.errors import IndexMismatchError
from index.milvus_backend import (
    GENERATION_FILE,
    MilvusBackend,
    MilvusGeneration,
    release,
)
from index.models import SearchFilters
from index.retrieval import Retriever
from index.store import CURRENT_FILE, IndexStore, LoadedIndex

from .support import SAMPLE_DIR, article, shared_path, write_articles

NEWSBOT = [sys.executable, "-m", "bot"]


def milvus_store(root: Path) -> IndexStore:
    """The store as `newsbot` makes it from NEWSBOT_BACKEND=milvus (a milvus-lite file)."""
    store = make_store(load_settings(backend="milvus", index_dir=root))
    assert isinstance(store.backend, MilvusBackend)
    return store


def alias_target(store: IndexStore) -> str:
    assert store.backend is not None
    target = store.backend._alias_target()
    assert target is not None
    return target


def collections(store: IndexStore) -> set[str]:
    from index.milvus_backend import _client

    assert store.backend is not None
    return set(_client(store.backend.config).list_collections())


def ranking(loaded: LoadedIndex, embedder: HashingEmbedder, text: str, **kw: object) -> list:
    retriever = Retriever(loaded, embedder)
    question = retriever.prepare(text, kw.pop("filters", None))  # type: ignore[arg-type]
    hits = retriever.search(question, k=10, **kw)  # type: ignore[arg-type]
    rows = [(h.chunk.id, round(h.score, 4), _round(h.dense), _round(h.lexical)) for h in hits]
    return sorted(rows, key=lambda row: (-row[1], row[0]))  # equal scores may come in any order


def _round(value: float | None) -> float | None:
    """bm25s keeps scores in float32; five decimals are what both backends agree on."""
    return None if value is None else round(value, 5)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_articles(
        tmp_path / "c.jsonl",
        [
            article(1, date="2022-12-30", source="APA"),
            article(2, date="2023-02-06", source="AFP"),
            article(3, "L'ambassadeur de France a été expulsé du Burkina Faso.", date="2023-03",
                    source="apa"),
            article(4, "Les Étrangères ont publié un communiqué sur l'expulsion."),  # undated
        ],
    )  # fmt: skip


def test_build_answers_like_faiss_and_stats_name_the_collection(
    tmp_path: Path, corpus: Path
) -> None:
    embedder = HashingEmbedder()
    faiss_store = IndexStore(tmp_path / "faiss")
    build_index(faiss_store, [corpus], embedder, BuildConfig())
    store = milvus_store(tmp_path / "milvus")
    report = build_index(store, [corpus], embedder, BuildConfig())
    assert (report.articles, report.embedded_chunks) == (4, report.chunks)

    loaded, reference = store.open(), faiss_store.open()
    assert not (loaded.directory / "vectors.faiss").exists()
    assert len(loaded.vectors) == len(reference.vectors) == report.chunks
    # Same candidates, same dense and BM25 scores (folding and stemming included: "expulsé"
    # finds "expulsion", "etrangeres" finds "Étrangères"), hence the same fused ranking.
    for text in ["expulsion de l'ambassadeur", "etrangeres", "budget de la ville 2", "rien"]:
        assert ranking(loaded, embedder, text) == ranking(reference, embedder, text), text
    assert ranking(loaded, embedder, "expulsé")[0][0] in {
        c.id for c in loaded.db.all_chunks() if c.article_id in {"a3", "a4"}
    }
    tokens = loaded.lexical.tokenize("expulsion Étrangères tartiflette")
    assert loaded.lexical.term_weights(tokens) == pytest.approx(
        reference.lexical.term_weights(tokens)
    )

    stats = run_cli("index", "stats", "--json", "--index-dir", str(store.root))
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert (data["backend"], data["collection"], data["articles"]) == (
        "milvus",
        alias_target(store),
        4,
    )
    faiss_stats = json.loads(run_cli("index", "stats", "--json", "--index-dir",
                                     str(faiss_store.root)).stdout)  # fmt: skip
    assert (faiss_stats["backend"], faiss_stats["collection"]) == ("faiss", None)


def test_update_upserts_and_deletes_by_chunk_id_in_the_live_collection(
    tmp_path: Path, corpus: Path
) -> None:
    embedder = HashingEmbedder()
    store = milvus_store(tmp_path / "idx")
    first = build_index(store, [corpus], embedder, BuildConfig())
    collection = alias_target(store)

    more = write_articles(
        tmp_path / "more.jsonl", [article(10), article(2, "Texte réécrit sur le port de Ndayane.")]
    )
    second = build_index(store, [more], embedder, BuildConfig(), mode="update")
    assert (second.added, second.updated, second.removed, second.articles) == (1, 1, 0, 5)
    assert second.reused_chunks == first.chunks - 1  # only a2's old chunk is gone
    assert second.embedded_chunks == second.chunks - second.reused_chunks

    loaded = store.open()
    assert alias_target(store) == collection == MilvusGeneration.read(loaded.directory).collection  # type: ignore[union-attr]
    stored = set(loaded.vectors.ids().tolist())
    assert stored == {c.id for c in loaded.db.all_chunks()}  # a2's old chunk deleted by id
    # BM25 statistics are the collection's, not the new segment's: the updated article scores
    # exactly as in a FAISS index built from scratch over the same articles.
    reference_store = IndexStore(tmp_path / "faiss")
    build_index(reference_store, [corpus], embedder, BuildConfig())
    build_index(reference_store, [more], embedder, BuildConfig(), mode="update")
    reference = reference_store.open()
    for text in ["port de Ndayane", "conseil municipal de la ville 10", "expulsion"]:
        assert ranking(loaded, embedder, text) == ranking(reference, embedder, text), text

    corpus.write_text(corpus.read_text("utf-8").splitlines()[0] + "\n", "utf-8")  # a1 only
    pruned = build_index(store, [corpus], embedder, BuildConfig(), mode="update", prune=True)
    assert pruned.removed == 2 and pruned.articles == 3  # a3, a4 left c.jsonl; a2 is in more
    loaded = store.open()
    assert set(loaded.vectors.ids().tolist()) == {c.id for c in loaded.db.all_chunks()}
    assert {c.article_id for c in loaded.db.all_chunks()} == {"a1", "a2", "a10"}


def test_filters_restrict_both_retrievers(tmp_path: Path, corpus: Path) -> None:
    embedder = HashingEmbedder()
    store = milvus_store(tmp_path / "idx")
    build_index(store, [corpus], embedder, BuildConfig())
    loaded = store.open()
    retriever = Retriever(loaded, embedder)

    def articles_for(filters: SearchFilters, method: str) -> set[str]:
        question = retriever.prepare("ambassadeur expulsé budget conseil", filters)
        hits = retriever.search(question, k=10, method=method)  # type: ignore[arg-type]
        return {h.article.id for h in hits}

    for method in ("hybrid", "dense", "bm25"):
        assert articles_for(SearchFilters(since="2023-02"), method) <= {"a2", "a3"}
        assert articles_for(SearchFilters(since="2023-02"), method) == {"a2", "a3"} or (
            method == "bm25"
        )
        assert articles_for(SearchFilters(sources=("APA",)), method) <= {"a1", "a3"}
        assert articles_for(SearchFilters(until="2022"), method) <= {"a1"}
    assert articles_for(SearchFilters(since="2023", until="2023-02-28"), "dense") == {"a2"}


def test_rebuild_switches_the_alias_and_drops_the_old_collection(
    tmp_path: Path, corpus: Path
) -> None:
    embedder = HashingEmbedder()
    store = milvus_store(tmp_path / "idx")
    build_index(store, [corpus], embedder, BuildConfig())
    old = alias_target(store)
    reader = store.open()  # a bot answering from the old generation
    assert ranking(reader, embedder, "expulsion")

    report = build_index(store, [corpus], embedder, BuildConfig())
    assert report.reused_chunks == report.chunks  # vectors copied from the old collection
    new = alias_target(store)
    assert new != old and new == MilvusGeneration.read(store.open().directory).collection  # type: ignore[union-attr]
    assert old not in collections(store)
    assert ranking(store.open(), embedder, "expulsion") == ranking(reader, embedder, "expulsion")

    # A FAISS index cannot be opened as Milvus and the other way round: each says what to do.
    faiss_store = IndexStore(tmp_path / "faiss")
    build_index(faiss_store, [corpus], embedder, BuildConfig())
    with pytest.raises(IndexMismatchError, match="NEWSBOT_BACKEND is milvus"):
        milvus_store(faiss_store.root).open()
    with pytest.raises(IndexMismatchError, match="NEWSBOT_BACKEND=milvus"):
        IndexStore(store.root).open()


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NEWSBOT, *args], capture_output=True, text=True, env=env or dict(os.environ), timeout=600
    )


BUILD_SCRIPT = """
import sys
from pathlib import Path
from bot.runtime import make_store
from bot.settings import load_settings
from index.builder import BuildConfig, build_index
from index.embedding import HashingEmbedder
root, *paths = sys.argv[1:]
store = make_store(load_settings(backend="milvus", index_dir=Path(root)))
build_index(store, [Path(p) for p in paths], HashingEmbedder(), BuildConfig())
"""


def build_in_child(index_dir: Path, *paths: Path) -> subprocess.Popen[bytes]:
    """A build in its own process (the hashing embedder: the time goes to writing Milvus)."""
    return subprocess.Popen(
        [sys.executable, "-c", BUILD_SCRIPT, str(index_dir), *map(str, paths)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_killed_build_leaves_the_alias_on_the_old_collection(tmp_path: Path) -> None:
    index_dir = tmp_path / "idx"
    first = build_in_child(index_dir, SAMPLE_DIR)
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    current = (index_dir / CURRENT_FILE).read_text()
    info = MilvusGeneration.read(index_dir / current.strip())
    assert info is not None

    bigger = tmp_path / "m.jsonl"
    with shared_path("corpus", "masakhanews-fra.jsonl").open(encoding="utf-8") as lines:
        bigger.write_text("".join(line for _, line in zip(range(150), lines, strict=False)))
    proc = build_in_child(index_dir, bigger, SAMPLE_DIR)
    owned = index_dir / "milvus-collections.json"
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if owned.is_file() and len(json.loads(owned.read_text() or "[]")) > 1:
            break  # the new collection is created and being filled
        time.sleep(0.002)
    assert proc.poll() is None, "the build finished before it could be killed mid-write"
    time.sleep(0.3)  # let it insert some rows
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    assert (index_dir / CURRENT_FILE).read_text() == current
    stats = run_cli("index", "stats", "--json", "--index-dir", str(index_dir))
    assert stats.returncode == 0, stats.stderr
    assert (json.loads(stats.stdout)["articles"], json.loads(stats.stdout)["collection"]) == (
        1,
        info.collection,
    )
    store = milvus_store(index_dir)
    try:
        assert alias_target(store) == info.collection
        orphans = collections(store) - {info.collection}
        assert orphans  # what the killed build was filling
        loaded = store.open()  # the old generation still answers
        assert len(loaded.vectors) == info.chunks and ranking(loaded, HashingEmbedder(), "Lavrov")
        build_index(store, [SAMPLE_DIR], HashingEmbedder(), BuildConfig())
        assert not orphans & collections(store)  # the next build drops the leftover
    finally:
        assert store.backend is not None
        release(store.backend.config)


def test_answer_end_to_end_with_the_real_model(
    tmp_path: Path, real_embedder: SentenceTransformerEmbedder, answer_service: object
) -> None:
    index_dir = tmp_path / "idx"
    store = milvus_store(index_dir)
    build_index(store, [SAMPLE_DIR], real_embedder, BuildConfig())
    assert store.backend is not None
    release(store.backend.config)  # milvus-lite serves one process: hand the file to `ask`
    env = dict(os.environ, NEWSBOT_BACKEND="milvus", NEWSBOT_MILVUS_TOKEN="s3cret-token")
    question = "Quand l'ambassadeur de France a-t-il été expulsé ?"
    asked = run_cli("ask", question, "--json", "--index-dir", str(index_dir), env=env)
    assert asked.returncode == 0, asked.stderr
    data = json.loads(asked.stdout)
    assert not data["abstained"] and "janvier 2022" in data["answer"]
    assert data["citations"] and data["citations"][0]["source"] == "journaldebangui"
    # The same answer as the FAISS backend gives over the same article.
    faiss_answer = answer_service.answer(question)  # type: ignore[attr-defined]
    assert data["answer"] == faiss_answer.text
    stats = run_cli("index", "stats", "--index-dir", str(index_dir), env=env)
    assert "backend    milvus" in stats.stdout
    for output in (asked, stats):
        assert "s3cret-token" not in output.stdout + output.stderr
    generation = index_dir / (index_dir / CURRENT_FILE).read_text().strip()
    assert "s3cret" not in (generation / GENERATION_FILE).read_text()
