"""The index directory: generations of (FAISS vectors, SQLite metadata, BM25, manifest).

Layout::

    INDEX_DIR/
      CURRENT            name of the live generation, replaced atomically (temp + rename)
      LOCK               held by the one build that may run at a time
      gen-<time>-<id>/   manifest.json, vectors.faiss, meta.sqlite3, lexical/
      .tmp-gen-…/        a build in progress; removed at the next build if it crashed

A build writes a complete new generation into a temporary directory, renames it, then swaps
CURRENT. Readers that opened the old generation keep using it; a crash or kill at any point
leaves CURRENT pointing at a complete generation.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.embed_text import EmbedText
from index.errors import IndexBusyError, IndexMismatchError, IndexNotFoundError
from index.lexical import BM25Index, LexicalIndex
from index.metadb import DB_FILE, MetaDB
from index.vectors import VectorStore
from index.vectors_ivf import load_vector_store

if TYPE_CHECKING:
    from index.milvus_backend import MilvusBackend

FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
LEXICAL_DIR = "lexical"
CURRENT_FILE = "CURRENT"
LOCK_FILE = "LOCK"
KEEP_OLD_GENERATIONS = 1  # besides the live one: a reader may still be finishing with it


@dataclass
class Manifest:
    """What an index was built with; loading refuses an index the current model cannot query."""

    model_id: str
    dimension: int
    precision: str
    chunking: dict[str, Any]
    articles: int
    chunks: int
    built_at: str
    build_seconds: float
    language: str
    languages: dict[str, int] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    cleaning: dict[str, Any] = field(default_factory=dict)  # index.cleaning.CleaningReport
    embed_text: EmbedText = "full"  # index.embed_text; indexes from before it embedded every word

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False)

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        data = json.loads((directory / MANIFEST_FILE).read_text("utf-8"))
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def directory_bytes(path: Path) -> int:
    """Size on disk of everything under ``path`` (an index generation, a peer's index)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def rebuild_hint(index_dir: Path) -> str:
    return f"rebuild it with: newsbot index build --index-dir {index_dir} PATHS"


def check_compatible(manifest: Manifest, model_id: str, dimension: int, index_dir: Path) -> None:
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index at {index_dir} has format {manifest.format_version}, this newsbot reads "
            f"format {FORMAT_VERSION}; {rebuild_hint(index_dir)}"
        )
    if manifest.model_id != model_id or manifest.dimension != dimension:
        raise IndexMismatchError(
            f"index at {index_dir} was built with {manifest.model_id} ({manifest.dimension} dims) "
            f"but the configured model is {model_id} ({dimension} dims); "
            f"{rebuild_hint(index_dir)}, or set NEWSBOT_EMBEDDING_MODEL={manifest.model_id}"
        )


class LoadedIndex:
    """One opened generation: vectors, metadata in SQLite, the lexical index. Read-only."""

    def __init__(self, directory: Path, backend: MilvusBackend | None = None) -> None:
        self.directory = directory
        self.manifest = Manifest.read(directory)
        self.vectors: VectorStore
        self.lexical: LexicalIndex
        if backend is not None or (directory / "milvus.json").is_file():
            from index.milvus_backend import open_milvus  # issue 12: the Milvus backend

            self.vectors, self.lexical = open_milvus(directory, backend)
        else:
            self.vectors = load_vector_store(directory)
            self.lexical = BM25Index.load(directory / LEXICAL_DIR)
        self.db = MetaDB(directory / DB_FILE, readonly=True)

    def close(self) -> None:
        self.db.close()


class IndexStore:
    """Finds, opens and replaces generations inside one index directory."""

    def __init__(self, root: Path, backend: MilvusBackend | None = None) -> None:
        self.root = root
        self.backend = backend  # None: FAISS files in the generation directory

    def current(self) -> Path | None:
        pointer = self.root / CURRENT_FILE
        try:
            name = pointer.read_text("utf-8").strip()
        except FileNotFoundError:
            return None
        directory = self.root / name
        return directory if (directory / MANIFEST_FILE).is_file() else None

    def require_current(self) -> Path:
        directory = self.current()
        if directory is None:
            raise IndexNotFoundError(
                f"no index in {self.root}; build one with: "
                f"newsbot index build --index-dir {self.root} PATHS"
            )
        return directory

    def open(self, *, model_id: str | None = None, dimension: int | None = None) -> LoadedIndex:
        """Open the live generation; with a model given, refuse an index built with another."""
        directory = self.require_current()
        manifest = Manifest.read(directory)
        if model_id is not None and dimension is not None:
            check_compatible(manifest, model_id, dimension, self.root)
        return LoadedIndex(directory, self.backend)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """One build at a time per directory, across processes (the lock dies with its process)."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = (self.root / LOCK_FILE).open("a+")
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexBusyError(
                    f"another build is running on {self.root}; wait for it to finish"
                ) from None
            yield
        finally:
            handle.close()

    def new_generation(self) -> Path:
        """A fresh temporary directory for a build; leftovers of crashed builds are removed."""
        for leftover in self.root.glob(".tmp-gen-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        directory = self.root / f".tmp-gen-{stamp}-{uuid.uuid4().hex[:8]}"
        directory.mkdir(parents=True)
        return directory

    def publish(self, temp_dir: Path) -> Path:
        """Make a finished build live: fsync, rename into place, swap CURRENT atomically."""
        for path in temp_dir.rglob("*"):
            if path.is_file():
                _fsync(path)
        final = self.root / temp_dir.name.removeprefix(".tmp-")
        temp_dir.rename(final)
        if self.backend is not None:
            self.backend.switch(final)  # the Milvus alias moves just before CURRENT does
        pointer_tmp = self.root / f".{CURRENT_FILE}.{uuid.uuid4().hex[:8]}"
        pointer_tmp.write_text(final.name + "\n", "utf-8")
        _fsync(pointer_tmp)
        pointer_tmp.replace(self.root / CURRENT_FILE)
        _fsync_dir(self.root)
        self._remove_old(keep=final)
        if self.backend is not None:
            self.backend.cleanup(final)  # drops the collections of replaced generations
        return final

    def _remove_old(self, keep: Path) -> None:
        generations = sorted(p for p in self.root.glob("gen-*") if p.is_dir() and p != keep)
        for old in generations[: max(0, len(generations) - KEEP_OLD_GENERATIONS)]:
            shutil.rmtree(old, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    _fsync(path)
