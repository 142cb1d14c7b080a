"""The vector side of an index: chunk id → unit vector, searched by inner product.

``VectorStore`` is what the rest of ``index/`` asks of a vector backend; ``FaissVectorStore``
keeps the vectors in one FAISS file (an exact inner-product index behind an id map, so vectors
are addressed by chunk id, never by row). Nothing outside this module imports faiss, so another
backend (a server, an approximate index) can sit behind the same interface.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

VECTORS_FILE = "vectors.faiss"


class VectorStore(Protocol):
    """Unit vectors addressed by chunk id (int64), searched by inner product (= cosine)."""

    @property
    def dimension(self) -> int: ...

    def __len__(self) -> int: ...

    def ids(self) -> NDArray[np.int64]:
        """Every stored id, in storage order (the row order of ``matrix``)."""
        ...

    def add(self, vectors: NDArray[np.float32], ids: Sequence[int] | NDArray[np.int64]) -> None:
        """Store ``vectors`` (one row per id); ids must not be stored already."""
        ...

    def remove(self, ids: Sequence[int] | NDArray[np.int64]) -> int:
        """Drop the given ids (unknown ids are ignored); returns how many were removed."""
        ...

    def search(
        self, query: NDArray[np.float32], k: int, *, allowed: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        """Top-k (id, inner product), best first; ``allowed`` restricts the ids searched."""
        ...

    def reconstruct(self, id: int) -> NDArray[np.float32]:
        """The stored vector of one id (KeyError when it is not stored)."""
        ...

    def reconstruct_many(self, ids: Sequence[int]) -> NDArray[np.float32]:
        """The stored vectors of ``ids``, one row each, in the order given."""
        ...

    def matrix(self) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """(ids, vectors) of everything stored, row i of vectors belonging to ids[i]."""
        ...

    def save(self, directory: Path) -> None:
        """Write the store into an index generation directory."""
        ...


class FaissVectorStore:
    """Exact inner-product search (``IndexFlatIP``) behind an ``IndexIDMap2``, one file."""

    FILE = VECTORS_FILE

    def __init__(self, index: Any) -> None:
        self._index = index

    @classmethod
    def create(cls, dimension: int) -> FaissVectorStore:
        import faiss

        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)))

    @classmethod
    def load(cls, directory: Path) -> FaissVectorStore:
        import faiss

        return cls(faiss.read_index(str(directory / cls.FILE)))

    def save(self, directory: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(directory / self.FILE))

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def ids(self) -> NDArray[np.int64]:
        import faiss

        ids: NDArray[np.int64] = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        return ids

    def add(self, vectors: NDArray[np.float32], ids: Sequence[int] | NDArray[np.int64]) -> None:
        keys = np.asarray(ids, dtype=np.int64)
        if len(keys) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors but {len(keys)} ids")
        if len(keys):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), keys)

    def remove(self, ids: Sequence[int] | NDArray[np.int64]) -> int:
        import faiss

        keys = np.asarray(ids, dtype=np.int64)
        if not len(keys):
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(keys)))

    def search(
        self, query: NDArray[np.float32], k: int, *, allowed: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        import faiss

        total = self._index.ntotal if allowed is None else len(allowed)
        k = min(k, total)
        if k <= 0:
            return []
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))  # type: ignore[call-arg]
        faiss.omp_set_num_threads(1)  # one question: threads cost more than they save
        scores, ids = self._index.search(query.reshape(1, -1), k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def reconstruct(self, id: int) -> NDArray[np.float32]:
        try:
            vector: NDArray[np.float32] = self._index.reconstruct(int(id))
        except RuntimeError:  # faiss reports an unknown id as a C++ exception
            raise KeyError(id) from None
        return vector

    def reconstruct_many(self, ids: Sequence[int]) -> NDArray[np.float32]:
        if not len(ids):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self.reconstruct(i) for i in ids])

    def matrix(self) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        if not len(self):
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._index.index.reconstruct_n(0, self._index.ntotal)
        return self.ids(), np.asarray(vectors, dtype=np.float32)
