"""Building embeds each distinct text once, longest first, and every chunk keeps its own vector."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.builder import BuildConfig, build_index
from index.embedding import HashingEmbedder
from index.metadb import DB_FILE, MetaDB
from index.store import IndexStore


class RecordingEmbedder(HashingEmbedder):
    """The hashing embedder, remembering every text it was asked to encode, call by call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        self.calls.append(list(texts))
        return super().encode(texts, batch_size=batch_size)


def _corpus(path: Path) -> Path:
    words = ["Bamako", "Lavrov", "ambassade", "Mali", "Russie", "visite", "accord", "sécurité"]
    rng = np.random.default_rng(3)
    records = []
    for n in range(40):
        sentences = [
            " ".join(words[int(i)] for i in rng.integers(len(words), size=12)).capitalize() + "."
            for _ in range(int(rng.integers(1, 16)))
        ]
        records.append({"id": f"a{n}", "title": f"Titre {n % 7}", "text": " ".join(sentences)})
    # Updated wire copies: the same story with a sentence added at the end.
    records += [
        dict(records[n], id=f"copy{n}", text=records[n]["text"] + " Mise à jour du soir.")
        for n in range(0, 40, 4)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), "utf-8")
    return path


def test_each_distinct_text_is_embedded_once_longest_first_into_its_own_rows(
    tmp_path: Path,
) -> None:
    embedder = RecordingEmbedder()
    store = IndexStore(tmp_path / "index")
    build_index(store, [_corpus(tmp_path / "news.jsonl")], embedder, BuildConfig())
    encoded = [text for call in embedder.calls for text in call]
    assert len(encoded) == len(set(encoded))
    lengths = [len(text) for text in encoded]
    assert lengths == sorted(lengths, reverse=True)

    loaded = store.open()
    db = MetaDB(loaded.directory / DB_FILE, readonly=True)
    try:
        chunks = list(db.all_chunks())
    finally:
        db.close()
    assert len(chunks) > len(encoded)  # the copies' chunks reuse the originals' vectors
    expected = HashingEmbedder().encode([chunk.embedding_text() for chunk in chunks])
    stored = loaded.vectors.reconstruct_many([chunk.id for chunk in chunks])
    assert np.array_equal(stored, expected)
    loaded.close()
