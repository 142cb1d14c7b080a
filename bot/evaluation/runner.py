"""Run a question set through newsbot's answering service and two reference retrievers.

The index is built once per (corpus content, model, chunking) and cached, so re-running an
evaluation after changing answering code costs only the questions. Every question goes through
the same ``AnswerService`` as the console and Discord; BM25 alone and dense alone are scored on
the very same chunks, so each report shows what the fusion adds.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bot.evaluation.metrics import (
    LeadQuality,
    Outcome,
    Summary,
    answer_hit,
    answer_hit_by_type,
    dedupe,
    lead_matches,
    lead_quality,
    percentile,
    summaries_json,
    summarize,
    summarize_by_lang,
)
from index.errors import NewsbotError

if TYPE_CHECKING:
    from bot.answer.models import Answer
    from bot.answer.service import AnswerService
    from bot.settings import Settings
    from index.embedding import Embedder
    from index.retrieval import Retriever

BaselineMethod = Literal["bm25", "dense"]
BASELINES: tuple[BaselineMethod, ...] = ("bm25", "dense")
DEFAULT_KS: tuple[int, ...] = (1, 5, 20)
CHUNKS_PER_ARTICLE = 4  # chunk hits fetched per wanted article, so dedupe still leaves enough
_HASH_BLOCK = 1 << 20


class EvalInputError(NewsbotError):
    """The questions file or corpus cannot be used; the message names the line and the fix."""


@dataclass(frozen=True, slots=True)
class EvalQuestion:
    """One line of a questions file. ``article_id`` None: the corpus does not answer it."""

    id: str
    question: str
    lang: str
    answers: tuple[str, ...]
    article_id: str | None


@dataclass(frozen=True)
class EvalConfig:
    """What to evaluate and how deep to look."""

    corpus: tuple[Path, ...]
    questions: Path
    cache_dir: Path
    ks: tuple[int, ...] = DEFAULT_KS
    limit: int | None = None
    baselines: tuple[BaselineMethod, ...] = BASELINES
    details: Path | None = None  # one JSON line per question is written here when set

    @property
    def depth(self) -> int:
        """Ranks looked at for MRR: the largest k asked for."""
        return max(self.ks)


@dataclass
class EvalReport:
    """Everything ``newsbot eval`` prints or writes as JSON."""

    ks: tuple[int, ...]
    by_lang: dict[str, Summary]
    overall: Summary
    latencies_ms: list[float]
    baselines: dict[str, dict[str, Summary]]
    baseline_overall: dict[str, Summary]
    settings: dict[str, Any]
    articles: int
    chunks: int
    # answerable questions and answer hit per answer type (metrics.answer_hit_by_type)
    by_type: dict[str, tuple[int, float]] = field(default_factory=dict)
    leads: LeadQuality = field(default_factory=lambda: LeadQuality(0, 0, 0))

    def latency(self) -> dict[str, float | None]:
        if not self.latencies_ms:
            return {"p50": None, "p95": None}
        return {
            "p50": round(percentile(self.latencies_ms, 50), 1),
            "p95": round(percentile(self.latencies_ms, 95), 1),
        }

    def to_json(self) -> dict[str, Any]:
        """The documented ``--json`` shape, exactly (recall keys follow ``--k``)."""
        return {
            "by_lang": summaries_json(self.by_lang),
            "overall": self.overall.to_json(),
            "latency_ms": self.latency(),
            "baselines": {
                name: {"by_lang": summaries_json(groups, answers=False)}
                for name, groups in self.baselines.items()
            },
            "leads": self.leads.to_json(),
            "settings": self.settings,
            "corpus": {"articles": self.articles, "chunks": self.chunks},
        }


# --- questions ------------------------------------------------------------------------------


def read_questions(path: Path) -> list[EvalQuestion]:
    """Parse a JSON Lines questions file; a bad line stops the run with its line number."""
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        raise EvalInputError(f"cannot read questions file {path}: {exc.strerror}") from None
    questions = [
        _parse_question(line, f"{path}:{number}")
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]
    if not questions:
        raise EvalInputError(f"{path} holds no questions; expected one JSON object per line")
    return questions


def _parse_question(line: str, where: str) -> EvalQuestion:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EvalInputError(f"{where}: not valid JSON ({exc.msg})") from None
    if not isinstance(record, dict) or not str(record.get("question") or "").strip():
        raise EvalInputError(f'{where}: expected an object with a "question" string')
    answers = record.get("answers") or []
    if isinstance(answers, str):
        answers = [answers]
    gold = record.get("article_id")
    return EvalQuestion(
        id=str(record.get("id") or where),
        question=str(record["question"]).strip(),
        lang=str(record.get("lang") or "und"),
        answers=tuple(str(a) for a in answers),
        article_id=str(gold) if gold not in (None, "") else None,
    )


# --- cached index ---------------------------------------------------------------------------


def cache_key(paths: Sequence[Path], settings: Settings, embedder: Embedder) -> str:
    """Hash of the corpus bytes and of what shapes the index (model, precision, chunking).

    The files are those the build reads (``iter_corpus_files``), so the key changes exactly
    when the indexed corpus does.
    """
    from index.cleaning import CLEANING_VERSION
    from index.corpus import iter_corpus_files
    from index.sentences import SENTENCES_VERSION
    from index.store import FORMAT_VERSION

    digest = hashlib.sha256()
    relevant = {
        "format": FORMAT_VERSION,
        "cleaning": CLEANING_VERSION,  # changed ingest code must rebuild the cached index
        "sentences": SENTENCES_VERSION,  # ... and so must changed sentence (chunk) boundaries
        "model": embedder.model_id,
        "dimension": embedder.dimension,
        "max_tokens": embedder.max_tokens,
        "precision": embedder.precision,
        "graph": getattr(embedder, "graph", "eager"),  # fused and eager vectors differ slightly
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "embed_text": settings.embed_text,
        "field_map": dict(sorted(settings.jsonl_field_map.items())),
        "backend": settings.backend,  # issue 12: a FAISS index is not a Milvus one
        "max_article_chars": settings.max_article_chars,
    }
    digest.update(json.dumps(relevant, sort_keys=True).encode())
    for file in iter_corpus_files(paths):
        digest.update(b"\x1e" + file.name.encode())
        for block in _blocks(file):
            digest.update(block)
    return digest.hexdigest()[:16]


def _blocks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            yield block


def ensure_index(
    settings: Settings,
    paths: Sequence[Path],
    embedder: Embedder,
    cache_dir: Path,
    *,
    progress: bool,
) -> tuple[Path, bool]:
    """Return (index directory, reused): build into ``cache_dir/<key>`` unless already there."""
    from bot.progress import TerminalProgress
    from bot.runtime import make_build_config, make_store
    from index.builder import build_index

    missing = [p for p in paths if not p.exists()]
    if missing:
        raise EvalInputError(f"corpus path {missing[0]} does not exist")
    store = make_store(settings, cache_dir / cache_key(paths, settings, embedder))
    if store.current() is not None:
        return store.root, True
    with TerminalProgress(disable=not progress) as bar:
        build_index(store, list(paths), embedder, make_build_config(settings), progress=bar)
    return store.root, False


# --- the run --------------------------------------------------------------------------------


def run_eval(
    settings: Settings,
    config: EvalConfig,
    *,
    embedder: Embedder | None = None,
    progress: bool = True,
) -> EvalReport:
    """Build or reuse the index, ask every question, score newsbot and the baselines."""
    from bot.runtime import make_answer_service, make_embedder

    questions = read_questions(config.questions)[: config.limit]
    embedder = embedder or make_embedder(settings)
    index_dir, reused = ensure_index(
        settings, config.corpus, embedder, config.cache_dir, progress=progress
    )
    service = make_answer_service(settings.model_copy(update={"index_dir": index_dir}), embedder)
    retriever = service.retriever  # the baselines search exactly the chunks it searches
    manifest = service.loaded.manifest
    outcomes, latencies, baseline_outcomes = _ask_all(
        service, retriever, questions, config, chunks=manifest.chunks, progress=progress
    )
    return EvalReport(
        ks=config.ks,
        by_lang=summarize_by_lang(outcomes, config.ks, config.depth),
        overall=summarize(outcomes, config.ks, config.depth),
        latencies_ms=latencies,
        baselines={
            name: summarize_by_lang(found, config.ks, config.depth)
            for name, found in baseline_outcomes.items()
        },
        baseline_overall={
            name: summarize(found, config.ks, config.depth)
            for name, found in baseline_outcomes.items()
        },
        settings=_settings_json(settings, config, embedder, index_dir, reused),
        articles=manifest.articles,
        chunks=manifest.chunks,
        by_type=answer_hit_by_type(outcomes),
        leads=lead_quality(outcomes),
    )


def _ask_all(
    service: AnswerService,
    retriever: Retriever,
    questions: Sequence[EvalQuestion],
    config: EvalConfig,
    *,
    chunks: int,
    progress: bool,
) -> tuple[list[Outcome], list[float], dict[str, list[Outcome]]]:
    from tqdm import tqdm

    from bot.answer.answer_types import classify

    details = config.details.open("w", encoding="utf-8") if config.details else None
    outcomes: list[Outcome] = []
    latencies: list[float] = []
    baselines: dict[str, list[Outcome]] = {name: [] for name in config.baselines}
    hits_wanted = min(chunks, config.depth * CHUNKS_PER_ARTICLE)
    if questions:  # latency is reported warm: the first call pays for lazy initialisation
        service.answer(questions[0].question)
    for question in tqdm(
        questions, desc="questions", unit=" q", file=sys.stderr, disable=not progress, leave=False
    ):
        started = time.perf_counter()
        answer = service.answer(question.question)
        latencies.append((time.perf_counter() - started) * 1000.0)
        outcomes.append(
            Outcome(
                lang=question.lang,
                gold=question.article_id,
                ranked=dedupe(answer.retrieved_article_ids),
                abstained=answer.abstained,
                hit=answer_hit(answer.text, question.answers),
                answer_type=classify(question.question),
                lead=answer.lead,
                lead_right=lead_matches(answer.lead, question.answers),
            )
        )
        if details is not None:
            details.write(json.dumps(_detail(question, answer, outcomes[-1]), ensure_ascii=False))
            details.write("\n")
        # Prepared once for both baselines; only the dense one needs the vector.
        prepared = retriever.prepare(question.question, embed="dense" in config.baselines)
        for name in config.baselines:
            hits = retriever.search(
                prepared, k=hits_wanted, method=name, candidates=max(hits_wanted, 1)
            )
            ranked = dedupe(hit.chunk.article_id for hit in hits)
            baselines[name].append(Outcome(question.lang, question.article_id, ranked))
    if details is not None:
        details.close()
    return outcomes, latencies, baselines


def _detail(question: EvalQuestion, answer: Answer, outcome: Outcome) -> dict[str, Any]:
    """One ``--details`` line: enough to read a failure without re-running anything."""
    return {
        "id": question.id,
        "question": question.question,
        "lang": question.lang,
        "gold": list(question.answers),
        "gold_article": question.article_id,
        "answer": answer.text,
        "lead": answer.lead,
        "lead_right": outcome.lead_right,
        "hit": outcome.hit and not outcome.abstained,
        "abstained": answer.abstained,
        "answerable": answer.answerable,
        "answer_type": outcome.answer_type,
        "top_articles": list(outcome.ranked[:5]),
        "quoted_articles": [c.article_id for c in answer.citations] if not answer.abstained else [],
    }


def _settings_json(
    settings: Settings, config: EvalConfig, embedder: Embedder, index_dir: Path, reused: bool
) -> dict[str, Any]:
    return {
        "model": embedder.model_id,
        "precision": embedder.precision,
        "chunk_size": settings.chunk_size,
        "chunk_overlap": settings.chunk_overlap,
        "embed_text": settings.embed_text,
        "top_k": settings.top_k,
        "candidates": settings.candidates,
        "abstain_threshold": settings.abstain_threshold,
        "k": list(config.ks),
        "mrr_depth": config.depth,
        "questions": str(config.questions),
        "limit": config.limit,
        "index_dir": str(index_dir),
        "index_reused": reused,
    }
