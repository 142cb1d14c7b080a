"""A vector store for millions of chunks: an IVF shortlist on 8-bit codes, re-scored exactly.

Exact search (``FaissVectorStore``) reads every vector for every question: ~1.5 GB per question
at a million chunks. Here an inverted file (k-means cells, vectors stored as 8-bit scalar
codes) proposes a shortlist from the ``nprobe`` cells nearest the question, and the shortlist
is re-scored with the exact float32 vectors, so the scores callers see are true cosines and
only the shortlist can differ from exact search. The float32 vectors live in a plain ``.npy``
file that is memory-mapped on load: opening the store reads almost nothing, and pages come in
as questions touch them.

Filters: when few chunks pass (``EXACT_FILTER_LIMIT``) they are scored exactly, which is both
faster and exact; otherwise the IVF search is restricted to them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from index.vectors import FaissVectorStore, VectorStore

if TYPE_CHECKING:
    from numpy.typing import NDArray

IVF_FILE = "vectors.ivf.faiss"
IDS_FILE = "vector_ids.npy"
MATRIX_FILE = "vectors.f32.npy"
#: Filters passing at most this many chunks are answered by exact scoring of just those.
EXACT_FILTER_LIMIT = 20_000
#: Training sample per cell: k-means needs a few dozen points per centroid to be stable.
TRAIN_POINTS_PER_CELL = 64
#: Cells searched per question: one in ``PROBE_SHARE`` of them, at least ``MIN_NPROBE``. At a
#: million borrowed vectors (2,048 cells), two runs gave recall@10 against exact search of
#: 0.967 and 0.938 at 128 cells, 0.991 and 0.977 at 256 (13.4 and 9.6 ms; exact: 150 and 117
#: ms): 256 keeps recall above 0.95 in both (benchmarks/results/ann-2026-12-06*.json).
PROBE_SHARE = 8
MIN_NPROBE = 32
#: The shortlist re-scored exactly holds this many times the requested k (at least 200).
SHORTLIST_FACTOR = 4
MIN_SHORTLIST = 200


def cells_for(count: int) -> int:
    """IVF cells: ~2·√n, a power of two between 64 and 65,536 (2,048 at a million chunks).

    Fewer cells than faiss's 4·√n rule: training is quicker on a small machine, and the
    exact re-scoring of a generous shortlist recovers what coarser cells lose.
    """
    target = max(64, min(65_536, 2 * math.sqrt(max(count, 1))))
    return int(2 ** round(math.log2(target)))


def probes_for(cells: int) -> int:
    """Cells to search per question (see ``PROBE_SHARE``)."""
    return min(cells, max(MIN_NPROBE, cells // PROBE_SHARE))


class IvfVectorStore:
    """``VectorStore`` with approximate shortlisting and exact re-scoring (see module doc)."""

    def __init__(
        self,
        dimension: int,
        ids: NDArray[np.int64],
        vectors: NDArray[np.float32],
        ivf: Any | None,
        *,
        nprobe: int | None = None,
    ) -> None:
        self._dimension = dimension
        self._ids = ids
        self._vectors = vectors
        self._ivf = ivf  # None until trained on the stored vectors (at save or first search)
        self.nprobe = nprobe  # None: ``probes_for`` the trained cells
        self._sorted: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None

    @classmethod
    def create(cls, dimension: int, *, nprobe: int | None = None) -> IvfVectorStore:
        empty_ids = np.zeros(0, dtype=np.int64)
        return cls(dimension, empty_ids, np.zeros((0, dimension), np.float32), None, nprobe=nprobe)

    @classmethod
    def exists(cls, directory: Path) -> bool:
        return (directory / IVF_FILE).is_file()

    @classmethod
    def load(cls, directory: Path, *, nprobe: int | None = None) -> IvfVectorStore:
        import faiss

        ivf = faiss.read_index(str(directory / IVF_FILE))
        ids = np.load(directory / IDS_FILE)
        vectors = np.load(directory / MATRIX_FILE, mmap_mode="r")
        return cls(int(ivf.d), ids, vectors, ivf, nprobe=nprobe)

    def save(self, directory: Path) -> None:
        import faiss

        faiss.write_index(self._trained(), str(directory / IVF_FILE))
        np.save(directory / IDS_FILE, self._ids)
        np.save(directory / MATRIX_FILE, np.ascontiguousarray(self._vectors, dtype=np.float32))

    # --- contents -----------------------------------------------------------------------
    @property
    def dimension(self) -> int:
        return self._dimension

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self) -> NDArray[np.int64]:
        return self._ids.copy()

    def add(self, vectors: NDArray[np.float32], ids: Sequence[int] | NDArray[np.int64]) -> None:
        keys = np.asarray(ids, dtype=np.int64)
        if len(keys) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors but {len(keys)} ids")
        if not len(keys):
            return
        if np.isin(keys, self._ids).any() or len(np.unique(keys)) != len(keys):
            raise ValueError("some ids are stored already")
        self._ids = np.concatenate([self._ids, keys])
        block = np.asarray(vectors, dtype=np.float32).reshape(len(keys), self._dimension)
        self._vectors = np.concatenate([np.asarray(self._vectors), block])
        self._ivf, self._sorted = None, None

    def remove(self, ids: Sequence[int] | NDArray[np.int64]) -> int:
        keep = ~np.isin(self._ids, np.asarray(ids, dtype=np.int64))
        removed = int((~keep).sum())
        if removed:
            self._ids = self._ids[keep]
            self._vectors = np.asarray(self._vectors)[keep]
            self._ivf, self._sorted = None, None
        return removed

    def reconstruct(self, id: int) -> NDArray[np.float32]:
        rows = self._rows_of(np.asarray([id], dtype=np.int64))
        if rows[0] < 0:
            raise KeyError(id)
        return np.array(self._vectors[rows[0]], dtype=np.float32)

    def reconstruct_many(self, ids: Sequence[int]) -> NDArray[np.float32]:
        rows = self._rows_of(np.asarray(ids, dtype=np.int64))
        if (rows < 0).any():
            raise KeyError(int(np.asarray(ids)[rows < 0][0]))
        return np.array(self._vectors[rows], dtype=np.float32)

    def matrix(self) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        return self._ids.copy(), np.array(self._vectors, dtype=np.float32)

    # --- search -------------------------------------------------------------------------
    def search(
        self, query: NDArray[np.float32], k: int, *, allowed: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        import faiss

        total = len(self._ids) if allowed is None else len(allowed)
        k = min(k, total)
        if k <= 0:
            return []
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if allowed is not None and len(allowed) <= EXACT_FILTER_LIMIT:
            rows = self._rows_of(np.asarray(allowed, dtype=np.int64))
            return self._exact(q, np.sort(rows[rows >= 0]), k)
        faiss.omp_set_num_threads(1)  # one question: threads cost more than they save
        trained = self._trained()
        nprobe = self.nprobe or probes_for(int(trained.nlist))
        params = faiss.SearchParametersIVF(nprobe=nprobe)  # type: ignore[call-arg]
        if allowed is not None:
            rows = self._rows_of(np.asarray(allowed, dtype=np.int64))
            params.sel = faiss.IDSelectorBatch(rows[rows >= 0])
        shortlist = min(len(self._ids), max(k * SHORTLIST_FACTOR, MIN_SHORTLIST))
        _, found = trained.search(q.reshape(1, -1), shortlist, params=params)
        rows = found[0][found[0] >= 0]
        return self._exact(q, np.sort(rows), k)

    def _exact(
        self, q: NDArray[np.float32], rows: NDArray[np.int64], k: int
    ) -> list[tuple[int, float]]:
        """Exact inner products of the given rows, top k (reads only those rows)."""
        if not len(rows):
            return []
        scores = np.asarray(self._vectors[rows], dtype=np.float32) @ q
        k = min(k, len(rows))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self._ids[rows[i]]), float(scores[i])) for i in top]

    def _trained(self) -> Any:
        """The IVF over the current vectors, trained and filled on first need."""
        if self._ivf is not None:
            return self._ivf
        import faiss

        n = len(self._ids)
        cells = min(cells_for(n), max(1, n // TRAIN_POINTS_PER_CELL))
        quantizer = faiss.IndexFlatIP(self._dimension)
        ivf = faiss.IndexIVFScalarQuantizer(
            quantizer,
            self._dimension,
            cells,
            faiss.ScalarQuantizer.QT_8bit,
            faiss.METRIC_INNER_PRODUCT,
        )
        data = np.ascontiguousarray(self._vectors, dtype=np.float32)
        if n:
            sample = min(n, cells * TRAIN_POINTS_PER_CELL)
            picked = np.random.default_rng(0).choice(n, sample, replace=False)
            ivf.train(data[np.sort(picked)])
            ivf.add_with_ids(data, np.arange(n, dtype=np.int64))
        self._ivf = ivf
        return ivf

    def _rows_of(self, ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """Row of each id (-1 when not stored), by binary search in the sorted ids."""
        if self._sorted is None:
            order = np.argsort(self._ids, kind="stable").astype(np.int64)
            self._sorted = (self._ids[order], order)
        keys, order = self._sorted
        if not len(keys):
            return np.full(len(ids), -1, dtype=np.int64)
        at = np.clip(np.searchsorted(keys, ids), 0, len(keys) - 1)
        return np.where(keys[at] == ids, order[at], -1).astype(np.int64)


VectorIndexKind = Literal["auto", "exact", "ivf"]
#: From this many chunks "auto" builds the IVF store: exact search reads ~150 MB per question
#: at 100k chunks (~15 ms on one core), most of the warm question budget.
AUTO_IVF_CHUNKS = 100_000


def create_vector_store(dimension: int, count: int, kind: VectorIndexKind = "auto") -> VectorStore:
    """An empty store for ``count`` vectors: exact below AUTO_IVF_CHUNKS, IVF from there
    (``kind`` "exact" or "ivf" overrides: setting NEWSBOT_VECTOR_INDEX)."""
    if kind == "ivf" or (kind == "auto" and count >= AUTO_IVF_CHUNKS):
        return IvfVectorStore.create(dimension)
    return FaissVectorStore.create(dimension)


def load_vector_store(directory: Path) -> VectorStore:
    """The vector store of an index generation, whichever kind it was built with."""
    if IvfVectorStore.exists(directory):
        return IvfVectorStore.load(directory)
    return FaissVectorStore.load(directory)
