"""The Milvus backend: an index generation's vectors and BM25 terms in a Milvus collection.

What lives where (docs/scale.md says why):

- Milvus, one collection per generation ``<alias>_gen_<time>_<id>``: ``chunk_id`` (INT64
  primary key), ``vector`` (FLOAT_VECTOR, exact inner product), ``terms`` (VARCHAR, newsbot's
  own BM25 tokens, see ``index.milvus_lexical``) feeding a BM25 function into ``sparse``
  (SPARSE_FLOAT_VECTOR), and ``article_id``, ``date``, ``source`` (lowercased) as scalar fields.
  The alias ``<alias>`` (``NEWSBOT_MILVUS_COLLECTION``) names the live collection for anything
  outside this process.
- The index directory, as with FAISS: ``CURRENT``, ``LOCK`` and ``gen-*/`` holding the manifest,
  ``meta.sqlite3`` (articles, chunk spans: everything a citation and the reader need),
  ``bm25-stats.sqlite3`` and ``milvus.json`` (which collection the generation reads).

A full build fills a new collection, flushes it, and only then switches the alias, just
before ``CURRENT`` is swapped; the previous collection is dropped after the switch. A build
killed midway leaves the alias and ``CURRENT`` on the old collection; the collection it was
filling is listed in ``milvus-collections.json`` and dropped by the next build. An update writes
into the live collection instead: it upserts the chunks that are new (chunk ids derive from
content) and deletes the vanished ones after the switch, so readers of the old generation keep
every chunk they can cite until the new generation is live.
"""

from __future__ import annotations

import fcntl
import json
import logging
import re
import shutil
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from index.errors import IndexBusyError, IndexMismatchError, IndexNotFoundError, NewsbotError
from index.lexical import Tokenizer
from index.metadb import DB_FILE, MetaDB
from index.milvus_lexical import (
    K1,
    SPARSE_FIELD,
    STATS_FILE,
    TERMS_FIELD,
    B,
    LexicalStats,
    MilvusLexicalIndex,
    id_filter,
)

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from index.models import Article, Chunk

log = logging.getLogger(__name__)

GENERATION_FILE = "milvus.json"
OWNED_FILE = "milvus-collections.json"  # collections this index directory created
LITE_FILE = "milvus.db"
INSERT_BATCH = 1000
FETCH_BATCH = 1000
VARCHAR_BYTES = 65_535
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,199}$")

Mode = Literal["build", "update"]
Chunked = Sequence[tuple["Article", str, Sequence["Chunk"]]]


class MilvusError(NewsbotError):
    """Milvus refused or could not be reached; the message names the server and collection."""


def milvus_available() -> bool:
    """Whether the optional ``milvus`` extra (pymilvus) is installed."""
    try:
        import pymilvus  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class MilvusConfig:
    """Where the collections live. ``token`` is never shown (``repr`` hides it)."""

    uri: str
    token: str | None = field(default=None, repr=False)
    alias: str = "newsbot"

    @property
    def is_lite(self) -> bool:
        """A local file served in-process by milvus-lite rather than a Milvus server."""
        return not self.uri.startswith(("http://", "https://", "tcp://", "unix:", "grpc://"))

    @property
    def display_uri(self) -> str:
        """The URI without credentials, for stats and error messages."""
        return re.sub(r"//[^/@]*@", "//", self.uri)


# --- connections ---------------------------------------------------------------------------

_clients: dict[tuple[str, str | None], Any] = {}
_clients_lock = threading.Lock()


def _client(config: MilvusConfig) -> Any:
    """One MilvusClient per (uri, token) per process; milvus-lite serves one process at a time."""
    key = (config.uri, config.token)
    with _clients_lock:
        client = _clients.get(key)
        if client is not None:
            return client
        from pymilvus import MilvusClient

        if config.is_lite:
            Path(config.uri).parent.mkdir(parents=True, exist_ok=True)
            _check_lite_free(Path(config.uri))
        try:
            client = MilvusClient(uri=config.uri, token=config.token or "")
        except Exception as exc:
            raise MilvusError(f"cannot connect to Milvus at {config.display_uri}: {exc}") from None
        _clients[key] = client
        return client


def _check_lite_free(path: Path) -> None:
    """milvus-lite locks its data directory per process; say so instead of a gRPC error."""
    lock = path / "LOCK"
    if not lock.exists():
        return
    with lock.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusyError(
                f"{path} is open in another process; milvus-lite serves one process at a time "
                "(stop the bot, or point NEWSBOT_MILVUS_URI at a Milvus server)"
            ) from None
        fcntl.flock(handle, fcntl.LOCK_UN)


def release(config: MilvusConfig) -> None:
    """Close this process's connection; for milvus-lite also stop its in-process server, so
    another process (a CLI build next to a test, say) can open the file."""
    with _clients_lock:
        for key in [k for k in _clients if k[0] == config.uri]:
            try:
                _clients.pop(key).close()
            except Exception:  # closing a dead channel has nothing left to report
                log.debug("closing the Milvus client failed", exc_info=True)
    if config.is_lite:
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(config.uri)


def _clip(text: str, limit: int) -> str:
    """Cut to ``limit`` UTF-8 bytes without splitting a character (VARCHAR limits are bytes)."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", errors="ignore")


# --- one collection ------------------------------------------------------------------------


class MilvusCollection:
    """The reads newsbot makes against one generation's collection.

    Reads name the collection itself, so a reader and its SQLite metadata always belong to the
    same generation. Once a rebuild has switched the alias and dropped this collection, reads
    go through the alias instead: chunk ids derive from content, so the new collection answers
    for every chunk the old generation still cites, until the reader reloads.
    """

    def __init__(self, config: MilvusConfig, name: str) -> None:
        self.config = config
        self.name = name
        self._loaded = False

    @property
    def client(self) -> Any:
        return _client(self.config)

    def _call(self, what: str, fn: Any) -> Any:
        """``fn(collection_name)``, retried once through the alias if the collection is gone."""
        from pymilvus.exceptions import MilvusException

        if not self._loaded and what != "load":
            self.load()  # a collection is searchable once loaded (a new process starts released)
        for name in dict.fromkeys([self.name, self.config.alias]):
            try:
                result = fn(name)
            except MilvusException as exc:
                message = str(getattr(exc, "message", exc))
                if not ("not" in message and ("exist" in message or "found" in message)):
                    raise MilvusError(
                        f"Milvus {what} on {name} at {self.config.display_uri} failed: {message}"
                    ) from None
                continue
            if name != self.name:
                log.info("Milvus collection %s was replaced; reading via alias %s", self.name, name)
                self.name = name
            return result
        raise IndexNotFoundError(
            f"Milvus collection {self.name} at {self.config.display_uri} does not exist; "
            "rebuild with: newsbot index build PATHS"
        )

    def load(self) -> None:
        self._call("load", lambda name: self.client.load_collection(name))
        self._loaded = True

    def search_dense(
        self, vector: NDArray[np.float32], k: int, expr: str
    ) -> list[tuple[int, float]]:
        query = [np.asarray(vector, dtype=np.float32).tolist()]
        result = self._call(
            "search",
            lambda name: self.client.search(
                name,
                data=query,
                anns_field="vector",
                limit=k,
                filter=expr,
                output_fields=["chunk_id"],
                search_params={"metric_type": "IP"},
            ),
        )
        return [(int(hit["chunk_id"]), float(hit["distance"])) for hit in result[0]]

    def search_terms(self, text: str, k: int, expr: str) -> dict[int, str]:
        """BM25 top-k of Milvus, with each hit's terms (newsbot rescores them)."""
        result = self._call(
            "BM25 search",
            lambda name: self.client.search(
                name,
                data=[text],
                anns_field=SPARSE_FIELD,
                limit=k,
                filter=expr,
                output_fields=[TERMS_FIELD],
                search_params={"metric_type": "BM25"},
            ),
        )
        return {int(hit["chunk_id"]): str(hit["entity"][TERMS_FIELD]) for hit in result[0]}

    def terms_of(self, ids: Sequence[int]) -> dict[int, str]:
        rows = self._get(ids, TERMS_FIELD)
        return {int(row["chunk_id"]): str(row[TERMS_FIELD]) for row in rows}

    def vectors_of(self, ids: Sequence[int]) -> dict[int, NDArray[np.float32]]:
        rows = self._get(ids, "vector")
        return {int(row["chunk_id"]): np.asarray(row["vector"], dtype=np.float32) for row in rows}

    def all_ids(self) -> NDArray[np.int64]:
        iterator = self._call(
            "query",
            lambda name: self.client.query_iterator(
                name, batch_size=FETCH_BATCH, filter="", output_fields=["chunk_id"]
            ),
        )
        ids: list[int] = []
        while batch := iterator.next():
            ids.extend(int(row["chunk_id"]) for row in batch)
        iterator.close()
        return np.asarray(sorted(ids), dtype=np.int64)

    def _get(self, ids: Sequence[int], field_name: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        keys = [int(i) for i in ids]
        for first in range(0, len(keys), FETCH_BATCH):
            batch = keys[first : first + FETCH_BATCH]
            out.extend(
                self._call(
                    "get",
                    lambda name, batch=batch: self.client.get(
                        name, ids=batch, output_fields=["chunk_id", field_name]
                    ),
                )
            )
        return out


class MilvusVectorStore:
    """The vectors of one Milvus generation (``index.vectors.VectorStore``), read-only.

    The builder writes collections (``MilvusBackend.write``); ``add``/``remove`` refuse, because
    a chunk written without its terms and scalar fields would be invisible to BM25 and filters.
    """

    def __init__(self, collection: MilvusCollection, dimension: int, count: int) -> None:
        self.collection = collection
        self._dimension = dimension
        self._count = count

    @property
    def dimension(self) -> int:
        return self._dimension

    def __len__(self) -> int:
        return self._count

    def ids(self) -> NDArray[np.int64]:
        return self.collection.all_ids()

    def add(self, vectors: NDArray[np.float32], ids: Sequence[int] | NDArray[np.int64]) -> None:
        raise NotImplementedError("Milvus collections are written by index.builder")

    def remove(self, ids: Sequence[int] | NDArray[np.int64]) -> int:
        raise NotImplementedError("Milvus collections are written by index.builder")

    def search(
        self, query: NDArray[np.float32], k: int, *, allowed: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        k = min(k, self._count if allowed is None else len(allowed))
        if k <= 0:
            return []
        expr = id_filter(allowed) if allowed is not None else ""
        return self.collection.search_dense(query, k, expr)

    def reconstruct(self, id: int) -> NDArray[np.float32]:
        found = self.collection.vectors_of([int(id)])
        if int(id) not in found:
            raise KeyError(id)
        return found[int(id)]

    def reconstruct_many(self, ids: Sequence[int]) -> NDArray[np.float32]:
        if not len(ids):
            return np.zeros((0, self._dimension), dtype=np.float32)
        found = self.collection.vectors_of(ids)
        missing = [i for i in ids if int(i) not in found]
        if missing:
            raise KeyError(missing[0])
        return np.stack([found[int(i)] for i in ids])

    def matrix(self) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        ids = self.ids()
        return ids, self.reconstruct_many([int(i) for i in ids])

    def save(self, directory: Path) -> None:
        """Nothing to write: the vectors are in Milvus, ``milvus.json`` names the collection."""


# --- generations ---------------------------------------------------------------------------


@dataclass
class MilvusGeneration:
    """``milvus.json``: the collection a generation reads, and deletes due after its switch."""

    collection: str
    alias: str
    dimension: int
    language: str
    chunks: int
    server: str = ""  # the URI without credentials, for stats
    pending_deletes: list[int] = field(default_factory=list)

    def write(self, directory: Path) -> None:
        (directory / GENERATION_FILE).write_text(json.dumps(asdict(self)), "utf-8")

    @classmethod
    def read(cls, directory: Path) -> MilvusGeneration | None:
        path = directory / GENERATION_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text("utf-8"))
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def collection_for(alias: str, generation_dir: Path) -> str:
    """``gen-20261128T110000-ab12cd34`` → ``<alias>_gen_20261128T110000_ab12cd34``."""
    return f"{alias}_{generation_dir.name.removeprefix('.tmp-').replace('-', '_')}"


def is_milvus_generation(directory: Path) -> bool:
    return (directory / GENERATION_FILE).is_file()


class MilvusBackend:
    """Builds, opens and switches Milvus generations of one index directory."""

    name = "milvus"

    def __init__(self, config: MilvusConfig, root: Path) -> None:
        if not _NAME.match(config.alias):
            raise ValueError(
                f"Milvus collection name {config.alias!r} must be letters, digits and _ "
                "and start with a letter or _"
            )
        self.config = config
        self.root = root

    def describe(self) -> str:
        return f"milvus {self.config.display_uri}"

    # --- reading ----------------------------------------------------------------------
    def open(self, directory: Path) -> tuple[MilvusVectorStore, MilvusLexicalIndex]:
        """The vector store and lexical index of a Milvus generation directory."""
        info = MilvusGeneration.read(directory)
        if info is None:
            raise IndexMismatchError(
                f"index at {self.root} was built with the FAISS backend but NEWSBOT_BACKEND is "
                f"milvus; rebuild it with: newsbot index build --index-dir {self.root} PATHS, "
                "or set NEWSBOT_BACKEND=faiss"
            )
        collection = MilvusCollection(self.config, info.collection)
        collection.load()
        stats = LexicalStats(directory / STATS_FILE)
        return (
            MilvusVectorStore(collection, info.dimension, info.chunks),
            MilvusLexicalIndex(collection, stats, info.language),
        )

    def previous_vectors(
        self, directory: Path, mode: Mode, dimension: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """What a new build may reuse from the live generation, as (ids, vectors).

        An update writes into the live collection, so its unchanged chunks need no vector at
        all: their rows read as zeros and are never written. A full build copies them into
        the new collection, read back from the live one (or from a FAISS generation's file).
        """
        info = MilvusGeneration.read(directory)
        if info is None:  # a FAISS generation: its vectors are reused all the same
            return previous_vectors(None, directory, mode, dimension)
        ids = np.asarray(_chunk_ids(directory), dtype=np.int64)
        if mode == "update":
            return ids, np.broadcast_to(
                np.zeros(dimension, dtype=np.float32), (len(ids), dimension)
            )
        found = MilvusCollection(self.config, info.collection).vectors_of(ids.tolist())
        kept = np.asarray([i for i in ids.tolist() if i in found], dtype=np.int64)
        matrix = np.zeros((len(kept), dimension), dtype=np.float32)
        for row, chunk_id in enumerate(kept.tolist()):
            matrix[row] = found[chunk_id]
        return kept, matrix

    # --- writing ----------------------------------------------------------------------
    def write(
        self,
        temp: Path,
        chunked: Chunked,
        vectors: NDArray[np.float32],
        *,
        mode: Mode,
        previous: Path | None,
        dimension: int,
        language: str,
    ) -> None:
        """Write a generation's collection side: rows in Milvus, ``milvus.json``, BM25 stats."""
        tokenize = Tokenizer(language)
        before = MilvusGeneration.read(previous) if previous is not None else None
        in_place = mode == "update" and before is not None and before.language == language
        client = _client(self.config)
        if in_place:
            assert before is not None and previous is not None
            name = before.collection
            collection = MilvusCollection(self.config, name)
            if before.pending_deletes:  # an earlier update died before its deletes
                self._delete(name, before.pending_deletes)
            old_ids, old_scalars = _previous_chunks(previous)
            shutil.copyfile(previous / STATS_FILE, temp / STATS_FILE)
        else:
            self._drop_leftovers(keep=before.collection if before else None)  # live one stays
            name = collection_for(self.config.alias, temp)
            self._remember_owned(name)
            self._create(name, dimension)
            collection = MilvusCollection(self.config, name)
            old_ids, old_scalars = set(), {}

        stats = LexicalStats(temp / STATS_FILE, readonly=False)
        pending: list[tuple[Chunk, Article, int, list[str]]] = []
        added_terms: list[list[str]] = []
        new_ids: set[int] = set()
        row = 0
        for article, _, chunks in chunked:
            scalars = (article.date or "", (article.source or "").lower())
            for chunk in chunks:
                new_ids.add(chunk.id)
                if chunk.id not in old_ids or old_scalars.get(chunk.id) != scalars:
                    terms = tokenize(chunk.embedding_text())
                    if chunk.id not in old_ids:
                        added_terms.append(terms)
                    pending.append((chunk, article, row, terms))
                row += 1
                if len(pending) >= INSERT_BATCH:
                    self._write_rows(name, pending, vectors, before, in_place)
                    pending = []
        if pending:
            self._write_rows(name, pending, vectors, before, in_place)
        removed = sorted(old_ids - new_ids)
        removed_terms: list[list[str]] = []
        if removed and previous is not None:
            db = MetaDB(previous / DB_FILE, readonly=True)
            try:
                removed_terms = [tokenize(c.embedding_text()) for c in db.chunks(removed).values()]
            finally:
                db.close()
        stats.apply(added_terms, removed_terms)
        stats.close()
        self._call(client.flush, name)
        collection.load()
        MilvusGeneration(
            collection=name,
            alias=self.config.alias,
            dimension=dimension,
            language=language,
            chunks=len(new_ids),
            server=self.config.display_uri,
            pending_deletes=removed,
        ).write(temp)

    def switch(self, final: Path) -> None:
        """Point the alias at the new generation's collection (atomic in Milvus)."""
        info = MilvusGeneration.read(final)
        if info is None:
            return
        client = _client(self.config)
        target = self._alias_target()
        if target is None:
            self._call(client.create_alias, info.collection, self.config.alias)
        elif target != info.collection:
            self._call(client.alter_alias, info.collection, self.config.alias)

    def cleanup(self, live: Path) -> None:
        """After the switch: apply the new generation's deletes, drop the old collections."""
        info = MilvusGeneration.read(live)
        if info is None:
            return
        if info.pending_deletes:
            self._delete(info.collection, info.pending_deletes)
            self._call(_client(self.config).flush, info.collection)
            info.pending_deletes = []
            info.write(live)
        self._drop_leftovers(keep=info.collection)

    # --- helpers ----------------------------------------------------------------------
    def _call(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        from pymilvus.exceptions import MilvusException

        try:
            return fn(*args, **kwargs)
        except MilvusException as exc:
            raise MilvusError(
                f"Milvus at {self.config.display_uri} refused {fn.__name__}: "
                f"{getattr(exc, 'message', exc)}"
            ) from None

    def _create(self, name: str, dimension: int) -> None:
        from pymilvus import DataType, Function, FunctionType

        client = _client(self.config)
        schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("chunk_id", DataType.INT64, is_primary=True)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        schema.add_field(
            TERMS_FIELD,
            DataType.VARCHAR,
            max_length=VARCHAR_BYTES,
            enable_analyzer=True,
            analyzer_params={"tokenizer": "standard"},  # the terms are newsbot's own tokens
        )
        schema.add_field(SPARSE_FIELD, DataType.SPARSE_FLOAT_VECTOR)
        schema.add_field("article_id", DataType.VARCHAR, max_length=512)
        schema.add_field("date", DataType.VARCHAR, max_length=32)
        schema.add_field("source", DataType.VARCHAR, max_length=512)
        schema.add_function(
            Function(
                name="bm25",
                function_type=FunctionType.BM25,
                input_field_names=[TERMS_FIELD],
                output_field_names=[SPARSE_FIELD],
            )
        )
        params = client.prepare_index_params()
        params.add_index("vector", index_type="FLAT", metric_type="IP")
        params.add_index(
            SPARSE_FIELD,
            index_type="SPARSE_INVERTED_INDEX",
            metric_type="BM25",
            params={"bm25_k1": K1, "bm25_b": B},
        )
        self._call(client.create_collection, name, schema=schema)
        # milvus-lite builds indexes at once but lacks the timestamp call a synchronous wait uses
        self._call(client.create_index, name, params, sync=not self.config.is_lite)
        self._call(client.load_collection, name)

    def _write_rows(
        self,
        name: str,
        pending: Sequence[tuple[Chunk, Article, int, list[str]]],
        vectors: NDArray[np.float32],
        before: MilvusGeneration | None,
        in_place: bool,
    ) -> None:
        """Insert (new collection) or upsert (update in place) a batch of chunks.

        A zero row in ``vectors`` is a vector ``previous_vectors`` did not load (an update's
        unchanged chunk): it is read from the previous collection when it must be written.
        """
        unloaded = [int(c.id) for c, _, row, _ in pending if not vectors[row].any()]
        fetched: dict[int, NDArray[np.float32]] = {}
        if unloaded and before is not None:
            fetched = MilvusCollection(self.config, before.collection).vectors_of(unloaded)
        rows = [
            _row(chunk, article, fetched.get(int(chunk.id), vectors[row]), terms)
            for chunk, article, row, terms in pending
        ]
        client = _client(self.config)
        self._call(client.upsert if in_place else client.insert, name, rows)

    def _delete(self, name: str, ids: Sequence[int]) -> None:
        client = _client(self.config)
        for first in range(0, len(ids), INSERT_BATCH):
            self._call(client.delete, name, ids=list(ids[first : first + INSERT_BATCH]))

    def _alias_target(self) -> str | None:
        from pymilvus.exceptions import MilvusException

        client = _client(self.config)
        try:  # describe_alias logs an error for a missing alias: ask the list first
            if self.config.alias not in client.list_aliases().get("aliases", []):
                return None
            info = client.describe_alias(self.config.alias)
        except MilvusException:
            return None
        return str(info["collection_name"])

    def _owned(self) -> list[str]:
        path = self.root / OWNED_FILE
        return list(json.loads(path.read_text("utf-8"))) if path.is_file() else []

    def _remember_owned(self, name: str) -> None:
        """Record a collection before creating it, so a build killed while filling it leaves
        a name the next build can drop (only collections this directory made are dropped)."""
        path = self.root / OWNED_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(sorted({*self._owned(), name})), "utf-8")
        tmp.replace(path)

    def _drop_leftovers(self, keep: str | None) -> None:
        client = _client(self.config)
        target = self._alias_target()
        remaining: list[str] = []
        existing = set(self._call(client.list_collections))
        for name in self._owned():
            if name in (keep, target):
                remaining.append(name)
            elif name in existing:
                log.info("dropping Milvus collection %s", name)
                self._call(client.drop_collection, name)
        path = self.root / OWNED_FILE
        if path.is_file() or remaining:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(sorted(remaining)), "utf-8")
            tmp.replace(path)


def _row(
    chunk: Chunk, article: Article, vector: NDArray[np.float32], terms: list[str]
) -> dict[str, Any]:
    return {
        "chunk_id": int(chunk.id),
        "vector": np.asarray(vector, dtype=np.float32),
        TERMS_FIELD: _clip(" ".join(terms), VARCHAR_BYTES),
        "article_id": _clip(article.id, 512),
        "date": _clip(article.date or "", 32),
        "source": _clip((article.source or "").lower(), 512),
    }


def _chunk_ids(directory: Path) -> list[int]:
    db = MetaDB(directory / DB_FILE, readonly=True)
    try:
        return [cid for stored in db.stored_articles() for cid in stored.chunk_ids]
    finally:
        db.close()


def _previous_chunks(directory: Path) -> tuple[set[int], dict[int, tuple[str, str]]]:
    """Chunk ids of a generation with the (date, lowercased source) Milvus holds for them."""
    db = MetaDB(directory / DB_FILE, readonly=True)
    try:
        scalars: dict[int, tuple[str, str]] = {}
        for stored in db.stored_articles():
            value = (stored.article.date or "", (stored.article.source or "").lower())
            scalars.update(dict.fromkeys(stored.chunk_ids, value))
    finally:
        db.close()
    return set(scalars), scalars


# --- the seams index.store and index.builder call ------------------------------------------


def open_milvus(
    directory: Path, backend: MilvusBackend | None
) -> tuple[MilvusVectorStore, MilvusLexicalIndex]:
    """Open a generation with the configured backend, refusing a backend/generation mismatch."""
    if backend is None:
        root = directory.parent
        raise IndexMismatchError(
            f"index at {root} was built with the Milvus backend; set NEWSBOT_BACKEND=milvus "
            f"(and NEWSBOT_MILVUS_URI), or rebuild it with: newsbot index build --index-dir "
            f"{root} PATHS"
        )
    return backend.open(directory)


def previous_vectors(
    backend: MilvusBackend | None, directory: Path, mode: Mode, dimension: int
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """The live generation's reusable (ids, vectors), whichever backend built it."""
    if backend is not None:
        return backend.previous_vectors(directory, mode, dimension)
    if is_milvus_generation(directory):  # FAISS now, Milvus before: re-embed, nothing to read
        return np.zeros(0, dtype=np.int64), np.zeros((0, dimension), dtype=np.float32)
    from index.vectors_ivf import load_vector_store

    return load_vector_store(directory).matrix()
