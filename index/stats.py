"""What `newsbot index stats` and the Discord status command show, without loading the model."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.metadb import DB_FILE, MetaDB
from index.milvus_backend import MilvusGeneration
from index.store import IndexStore, Manifest, directory_bytes


@dataclass(frozen=True)
class IndexStats:
    index_dir: str
    generation: str
    model: str
    dimension: int
    articles: int
    chunks: int
    size_bytes: int
    built_at: str
    build_seconds: float
    date_min: str | None
    date_max: str | None
    languages: dict[str, int]
    outlets: list[tuple[str, int]]
    backend: str = "faiss"
    collection: str | None = None  # Milvus: the live generation's collection
    server: str | None = None  # Milvus: its URI, without credentials
    cleaning: dict[str, Any] = field(default_factory=dict)  # what index.cleaning removed
    embed_text: str = "full"  # what the model read of French text (index.embed_text)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["outlets"] = [{"source": s, "articles": n} for s, n in self.outlets]
        return data

    def describe(self, max_outlets: int = 10) -> str:
        outlets = ", ".join(f"{s} ({n})" for s, n in self.outlets[:max_outlets]) or "none known"
        if len(self.outlets) > max_outlets:
            outlets += f", … {len(self.outlets) - max_outlets} more"
        dates = f"{self.date_min} … {self.date_max}" if self.date_min else "no dates"
        langs = ", ".join(f"{k} {v}" for k, v in self.languages.items())
        return "\n".join(
            [
                f"index      {self.index_dir} ({self.generation})",
                f"articles   {self.articles}",
                f"chunks     {self.chunks}",
                f"model      {self.model} ({self.dimension} dims){_reads(self.embed_text)}",
                f"size       {human_bytes(self.size_bytes)}",
                f"built      {self.built_at} in {self.build_seconds:.1f} s",
                f"dates      {dates}",
                f"languages  {langs}",
                f"outlets    {outlets}",
                f"backend    {self.backend}"
                + (f", collection {self.collection} at {self.server}" if self.collection else ""),
                f"cleaned    {_cleaning(self.cleaning)}",
            ]
        )


def _reads(embed_text: str) -> str:
    return ", French read as content words only" if embed_text == "content" else ""


def _cleaning(report: dict[str, Any]) -> str:
    """ "12,345 characters of navigation/credits from 507 of 881 articles (0.4%)"."""
    if not report:
        return "not recorded (built before cleaning was reported)"
    before = int(report.get("chars_before") or 0)
    removed = int(report.get("chars_removed") or 0)
    share = f" ({100 * removed / before:.1f}%)" if before else ""
    return (
        f"{removed:,} characters of navigation/credits removed from "
        f"{report.get('articles_changed', 0)} of {report.get('articles', 0)} articles{share}"
    )


def read_stats(index_dir: Path) -> IndexStats:
    store = IndexStore(index_dir)
    directory = store.require_current()
    manifest = Manifest.read(directory)
    db = MetaDB(directory / DB_FILE, readonly=True)
    try:
        articles, chunks = db.counts()
        date_min, date_max = db.date_range()
        outlets = db.sources()
        languages = db.languages()
    finally:
        db.close()
    size = directory_bytes(directory)
    milvus = MilvusGeneration.read(directory)  # issue 12: which backend holds the vectors
    return IndexStats(
        index_dir=str(index_dir),
        generation=directory.name,
        model=manifest.model_id,
        dimension=manifest.dimension,
        articles=articles,
        chunks=chunks,
        size_bytes=size,
        built_at=manifest.built_at,
        build_seconds=manifest.build_seconds,
        date_min=date_min,
        date_max=date_max,
        languages=languages,
        outlets=outlets,
        backend="milvus" if milvus else "faiss",
        collection=milvus.collection if milvus else None,
        server=milvus.server if milvus else None,
        cleaning=manifest.cleaning,
        embed_text=manifest.embed_text,
    )


def human_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} GiB"
