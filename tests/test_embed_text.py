"""The model reads French chunks and questions without function words; everything else is whole."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.builder import BuildConfig, build_index
from index.embed_text import content_words, model_text
from index.embedding import HashingEmbedder, SentenceTransformerEmbedder
from index.errors import IndexMismatchError
from index.metadb import DB_FILE, MetaDB
from index.retrieval import Retriever
from index.stats import read_stats
from index.store import MANIFEST_FILE, IndexStore

from .support import SAMPLE_DIR, article, write_articles


@pytest.fixture(scope="module")
def content_index_dir(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder
) -> Path:
    """The sample article indexed with NEWSBOT_EMBED_TEXT=content. Read-only use."""
    root = tmp_path_factory.mktemp("content-index")
    build_index(IndexStore(root), [SAMPLE_DIR], real_embedder, BuildConfig(embed_text="content"))
    return root


def test_content_words_drop_french_function_words_and_elisions() -> None:
    text = "L'ambassadeur de France a été expulsé du pays par les autorités jusqu'à nouvel ordre."
    assert content_words(text) == "ambassadeur France a expulsé pays autorités nouvel ordre."


def test_names_numbers_and_punctuated_content_words_are_kept() -> None:
    text = "Le 12 mars 2023, Macky Sall (président) a reçu 1,5 milliard d’euros à Dakar."
    assert (
        content_words(text)
        == "12 mars 2023, Macky Sall (président) a reçu 1,5 milliard euros Dakar."
    )


def test_text_made_only_of_function_words_is_read_whole() -> None:
    assert content_words("de la") == "de la"


def test_english_text_and_the_full_setting_are_read_whole() -> None:
    english = "When was the French ambassador expelled from the country?"
    assert model_text(english, "en", "content") == english
    french = "Quand l'ambassadeur de France a-t-il été expulsé ?"
    assert model_text(french, "fr", "full") == french
    assert model_text(french, "fr", "content") == "Quand ambassadeur France a-t-il expulsé ?"


def test_a_built_chunk_vector_is_the_model_reading_its_content_words(
    content_index_dir: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    generation = IndexStore(content_index_dir).current()
    assert generation is not None
    assert json.loads((generation / MANIFEST_FILE).read_text("utf-8"))["embed_text"] == "content"
    loaded = IndexStore(content_index_dir).open()
    try:
        chunk = next(iter(loaded.db.all_chunks()))
        stored = loaded.vectors.reconstruct(chunk.id)
    finally:
        loaded.close()
    content, whole = real_embedder.encode(
        [content_words(chunk.embedding_text()), chunk.embedding_text()]
    )
    # bfloat16 batches differ in their last bits; the whole text gives a clearly other vector.
    assert float(stored @ content) >= 0.99
    assert float(stored @ whole) < float(stored @ content) - 0.05


def test_index_stats_say_what_the_model_read(
    content_index_dir: Path, sample_index_dir: Path
) -> None:
    assert "French read as content words only" in read_stats(content_index_dir).describe()
    assert "content words" not in read_stats(sample_index_dir).describe()
    assert read_stats(content_index_dir).to_json()["embed_text"] == "content"


def test_content_words_cut_a_french_chunk_by_a_fifth_of_its_tokens_or_more(
    sample_index_dir: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    """Why the setting exists: the model's cost grows with tokens (build speed in benchmarks)."""
    db = MetaDB(IndexStore(sample_index_dir).current() / DB_FILE, readonly=True)  # type: ignore[operator]
    try:
        texts = [chunk.embedding_text() for chunk in db.all_chunks()]
    finally:
        db.close()
    whole = sum(real_embedder.count_tokens(texts))
    read = sum(real_embedder.count_tokens([content_words(text) for text in texts]))
    assert read <= 0.8 * whole


def test_a_french_question_is_embedded_as_its_content_words(content_index_dir: Path) -> None:
    exact = SentenceTransformerEmbedder(precision="float32")  # bfloat16 calls vary in 3rd digit
    loaded = IndexStore(content_index_dir).open()
    try:
        retriever = Retriever(loaded, exact)
        french = "Quand l'ambassadeur de France a-t-il été expulsé ?"
        english = "When was the French ambassador expelled?"
        prepared = retriever.prepare(french)
        assert prepared.vector is not None
        expected = exact.encode([content_words(french)])[0]
        assert float(prepared.vector @ expected) >= 0.9999
        assert retriever.model_input(english) == english
    finally:
        loaded.close()


def test_changing_the_setting_reembeds_everything_and_refuses_an_update(
    tmp_path: Path, hashing_embedder: HashingEmbedder
) -> None:
    corpus = write_articles(tmp_path / "a.jsonl", [article(n) for n in range(3)])
    store = IndexStore(tmp_path / "idx")
    first = build_index(store, [corpus], hashing_embedder, BuildConfig(embed_text="full"))
    again = build_index(store, [corpus], hashing_embedder, BuildConfig(embed_text="full"))
    assert again.reused_chunks == first.chunks
    switched = build_index(store, [corpus], hashing_embedder, BuildConfig(embed_text="content"))
    assert switched.reused_chunks == 0 and switched.embedded_chunks == first.chunks
    with pytest.raises(IndexMismatchError, match="NEWSBOT_EMBED_TEXT=content"):
        build_index(
            store, [corpus], hashing_embedder, BuildConfig(embed_text="full"), mode="update"
        )


def test_the_default_index_reads_every_word(
    sample_index_dir: Path, real_embedder: SentenceTransformerEmbedder
) -> None:
    loaded = IndexStore(sample_index_dir).open()
    try:
        assert loaded.manifest.embed_text == "full"
        chunk = next(iter(loaded.db.all_chunks()))
        whole = real_embedder.encode([chunk.embedding_text()])[0]
        assert float(loaded.vectors.reconstruct(chunk.id) @ whole) >= 0.99
        question = "Quand l'ambassadeur de France a-t-il été expulsé ?"
        assert Retriever(loaded, real_embedder).model_input(question) == question
    finally:
        loaded.close()


def test_an_index_from_before_the_setting_embeds_questions_whole(
    tmp_path: Path, hashing_embedder: HashingEmbedder
) -> None:
    corpus = write_articles(tmp_path / "a.jsonl", [article(1)])
    store = IndexStore(tmp_path / "idx")
    build_index(store, [corpus], hashing_embedder, BuildConfig(embed_text="content"))
    manifest_file = store.current() / MANIFEST_FILE  # type: ignore[operator]
    data = json.loads(manifest_file.read_text("utf-8"))
    del data["embed_text"]  # as written by newsbot before the setting existed
    manifest_file.write_text(json.dumps(data), "utf-8")
    loaded = store.open()
    try:
        question = "Quand le conseil de la ville a-t-il voté le budget ?"
        assert Retriever(loaded, hashing_embedder).model_input(question) == question
        vector = Retriever(loaded, hashing_embedder).prepare(question).vector
        assert np.allclose(vector, hashing_embedder.encode([question])[0])  # type: ignore[arg-type]
    finally:
        loaded.close()
