"""Refit the reader's models (``bot/answer/reader_model.json``) from training questions.

    python -m scripts.fit_reader [--cache-dir DIR] [--limit N] [--out FILE]

Training data (never the dev questions):
- ``../shared/train/piaf-train.jsonl``: French questions over ``eval/piaf-dev/corpus.jsonl``;
- ``scripts/reader_train_news.jsonl``: questions written for this project over BBC Afrique
  articles of ``corpus/masakhanews-fra.jsonl`` (English and French, none of news-dev's articles);
- ``scripts/reader_train_piaf_en.jsonl``: every ninth piaf-train question translated into
  English for this project (the same passages and answers), so the models also see English
  questions over French encyclopaedic text, not only over news;
- ``scripts/reader_train_news_more.jsonl``: 200 more news questions of the same kind (40 per
  answer type, answers mostly outside the article's first two sentences);
- ``scripts/reader_train_news_nearmiss.jsonl``: 160 written unanswerable near misses, about the
  people and topics of the training articles but asking for an event or detail no article
  reports ("When was X acquitted?" of an article on X's indictment).
Unanswerable examples are also generated from them (``variants``): the same question with its
passage removed from the results, and near misses whose year, figure or name was changed to
one the answering article does not contain.

The ranking models learn "this sentence holds a gold answer string"; the decision model learns
"the corpus answers this question" from the best sentence's features. Everything is logistic
regression (scikit-learn, a fit-time dependency only: ``pip install -e .[fit]``); the runtime
reads the coefficients with numpy. A held-out fifth of the questions is scored before the final
fit on everything, and those scores are stored in the model file's ``meta``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from bot.answer.reader import (
    DECIDE_FEATURES,
    FEATURE_VERSION,
    FEATURES,
    MODEL_FILE,
    ArticleCache,
    ArticleSentences,
    Candidate,
    Model,
    ReaderModels,
    Reading,
    article_order,
    candidates,
    choose,
    decide_row,
    rank,
)
from bot.evaluation.metrics import match_form
from bot.evaluation.runner import EvalQuestion, ensure_index, read_questions
from index.text import fold

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from index.embedding import Embedder
    from index.models import Hit
    from index.retrieval import Retriever
    from index.store import LoadedIndex

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PIAF_CORPUS = SHARED / "eval/piaf-dev/corpus.jsonl"
NEWS_CORPUS = SHARED / "corpus/masakhanews-fra.jsonl"
#: Training set name → (corpus it asks about, questions).
SETS: dict[str, tuple[Path, Path]] = {
    "piaf": (PIAF_CORPUS, SHARED / "train/piaf-train.jsonl"),
    "news": (NEWS_CORPUS, ROOT / "scripts/reader_train_news.jsonl"),
    "piaf-en": (PIAF_CORPUS, ROOT / "scripts/reader_train_piaf_en.jsonl"),
    "news-more": (NEWS_CORPUS, ROOT / "scripts/reader_train_news_more.jsonl"),
    "news-nearmiss": (NEWS_CORPUS, ROOT / "scripts/reader_train_news_nearmiss.jsonl"),
}
HITS = 80  # as the answering service (bot.answer.service.RANKED_DEPTH)
REGULARISATION = 1.0  # sklearn's C: features are standardised, so 1.0 is a mild prior
LISTWISE_L2 = 10.0  # the rank model's L2 penalty per question (held-out scores flat from 3 to 30)
HOLDOUT_SHARE = 0.2
#: Weight of an example from a set, relative to piaf's: the news questions are few but are the
#: product's kind (chat questions over news, English and French over French text).
SET_WEIGHTS = {"piaf": 1.0, "news": 8.0, "piaf-en": 1.0, "news-more": 8.0, "news-nearmiss": 8.0}
SEED = 20261128


@dataclass
class Example:
    """One question as the reader sees it, with what it should do."""

    question: str
    language: str
    answers: tuple[str, ...]
    answerable: bool
    holdout: bool
    excluded: frozenset[str] = frozenset()  # article ids removed from the results
    weight: float = 1.0


# --- generating unanswerable variants -----------------------------------------------------------

_YEAR = re.compile(r"\b(1[5-9]\d{2}|20\d{2})\b")
_FIGURE = re.compile(r"\b(\d{2,})\b")
_CAPITAL = re.compile(r"(?<=\s)([A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ]{3,})\b")


def variants(
    question: EvalQuestion, article_text: str, names: Sequence[str], rng: random.Random
) -> list[tuple[str, str]]:
    """(kind, changed question) near misses the answering article does not support."""
    folded = fold(article_text)
    out: list[tuple[str, str]] = []
    text = question.question
    if match := _YEAR.search(text):
        for _ in range(5):
            year = str(int(match.group()) + rng.choice([-11, -7, -4, -3, -2, 2, 3, 5, 8, 13]))
            if year not in folded:
                out.append(("year", text[: match.start()] + year + text[match.end() :]))
                break
    elif match := _FIGURE.search(text):
        figure = str(int(match.group()) * rng.choice([2, 3, 5]) + rng.choice([1, 7]))
        if figure not in folded:
            out.append(("figure", text[: match.start()] + figure + text[match.end() :]))
    capitals = [m for m in _CAPITAL.finditer(text) if fold(m.group()) in folded]
    if capitals and names:
        match = rng.choice(capitals)
        for _ in range(5):
            name = rng.choice(names)
            if fold(name)[:5] not in folded:
                out.append(("name", text[: match.start()] + name + text[match.end() :]))
                break
    return out


def is_held_out(question_id: str) -> bool:
    """A fixed fifth of the questions, by id; a translation ("…-en") goes with its original, so
    no held-out question was seen in the other language."""
    digest = hashlib.sha1(question_id.removesuffix("-en").encode()).hexdigest()
    return int(digest, 16) % 100 < HOLDOUT_SHARE * 100


def examples(
    questions: Sequence[EvalQuestion], texts: dict[str, str], rng: random.Random
) -> list[Example]:
    """The answerable questions, each with a removed-passage variant and near misses."""
    names = sorted({m.group() for q in questions for m in _CAPITAL.finditer(q.question)})
    formed = {aid: match_form(text) for aid, text in texts.items()}
    out: list[Example] = []
    for q in questions:
        holdout = is_held_out(q.id)
        if q.article_id is None:  # written unanswerable: the corpus does not say it
            out.append(Example(q.question, q.lang, (), False, holdout))
            continue
        if not q.answers or q.article_id not in texts:
            continue
        out.append(Example(q.question, q.lang, q.answers, True, holdout))
        gold = [match_form(a) for a in q.answers]
        holding = frozenset(
            aid for aid, text in formed.items() if any(g and g in text for g in gold)
        )
        out.append(Example(q.question, q.lang, q.answers, False, holdout, holding | {q.article_id}))
        for _, changed in variants(q, texts[q.article_id], names, rng):
            out.append(Example(changed, q.lang, (), False, holdout))
    return out


# --- reading ------------------------------------------------------------------------------------


class Reader:
    """The runtime reader over one index, articles split once across questions."""

    def __init__(self, loaded: LoadedIndex, retriever: Retriever, embedder: Embedder) -> None:
        self.loaded = loaded
        self.retriever = retriever
        self.embedder = embedder
        self.articles = ArticleCache(size=100_000)
        self.tokenize = retriever.tokenize

    def article(self, article_id: str) -> ArticleSentences | None:
        text = self.loaded.db.article_texts([article_id]).get(article_id)
        if text is None:
            return None
        meta = self.loaded.db.articles([article_id])[article_id]
        return self.articles.get(
            article_id, lambda: (meta.title, text, meta.language or "fr"), self.tokenize
        )

    def candidates(
        self, example: Example, qvec: NDArray[np.float32]
    ) -> tuple[list[Candidate], list[Hit]]:
        prepared = replace(self.retriever.prepare(example.question, embed=False), vector=qvec)
        hits = self.retriever.search(prepared, k=HITS)
        hits = [h for h in hits if h.chunk.article_id not in example.excluded]
        read = [a for aid in article_order(hits) if (a := self.article(aid)) is not None]
        found = candidates(
            example.question, prepared.language, hits, read,
            terms=prepared.term_weights,
        )  # fmt: skip
        return found, hits


def holds_answer(text: str, answers: Sequence[str]) -> bool:
    haystack = match_form(text)
    return any(needle and needle in haystack for needle in map(match_form, answers))


# --- fitting ------------------------------------------------------------------------------------


def standardisation(rows: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-feature mean and spread (1 for a constant feature), as ``Model`` applies them."""
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return rows.mean(axis=0), scale


def fit(
    rows: NDArray[np.float64],
    labels: NDArray[np.int64],
    names: Sequence[str],
    weights: NDArray[np.float64] | None = None,
) -> Model:
    """Balanced logistic regression over standardised features."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    mean, scale = standardisation(rows)
    model = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=2000)
    model.fit((rows - mean) / scale, labels, sample_weight=weights)
    return Model(tuple(names), mean, scale, model.coef_[0].astype(np.float64),
                 float(model.intercept_[0]))  # fmt: skip


@dataclass
class Collected:
    """Per example: its candidates (features with true sentence cosines) and labels."""

    example: Example
    found: list[Candidate]
    positives: list[bool]


def collect(reader: Reader, items: Sequence[Example], label: str) -> list[Collected]:
    started = time.perf_counter()
    qvecs = reader.embedder.encode([reader.retriever.model_input(e.question) for e in items])
    out: list[Collected] = []
    for i, (example, qvec) in enumerate(zip(items, qvecs, strict=True)):
        found, _ = reader.candidates(example, qvec)
        positives = [holds_answer(c.text, example.answers) for c in found]
        out.append(Collected(example, found, positives))
        if (i + 1) % 200 == 0:
            print(f"  {label}: {i + 1}/{len(items)} ({time.perf_counter() - started:.0f}s)",
                  file=sys.stderr)  # fmt: skip
    return out


def fit_listwise(data: Sequence[Collected]) -> Model:
    """The rank model: a conditional logit (softmax over one question's sentences).

    Only the order of a question's sentences matters, so the loss is the probability the
    softmax gives the sentences that hold the answer, question by question. A pointwise
    logistic model weighs every sentence against every other question's sentences and let
    features common to a whole question (article coverage, language) stand in for answering;
    on held-out training questions this fit put the answer first 5 points more often.
    """
    from scipy.optimize import minimize  # type: ignore[import-untyped]

    ranking = [d for d in data if d.example.answerable and any(d.positives)]
    rows = np.concatenate([np.stack([c.features for c in d.found]) for d in ranking])
    mean, scale = standardisation(rows)
    groups = []
    for d in ranking:
        matrix = (np.stack([c.features for c in d.found]) - mean) / scale
        target = np.asarray(d.positives, dtype=np.float64)
        groups.append((matrix, target / target.sum(), d.example.weight))
    total = sum(weight for _, _, weight in groups)
    penalty = LISTWISE_L2 / len(groups)

    def loss(w: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        value, grad = 0.0, np.zeros_like(w)
        for matrix, target, weight in groups:
            scores = matrix @ w
            shifted = np.exp(scores - scores.max())
            softmax = shifted / shifted.sum()
            value -= weight * float(target @ np.log(np.maximum(softmax, 1e-300)))
            grad += weight * (matrix.T @ (softmax - target))
        return value / total + penalty * float(w @ w) / 2, grad / total + penalty * w

    found = minimize(loss, np.zeros(rows.shape[1]), jac=True, method="L-BFGS-B")
    return Model(FEATURES, mean, scale, np.asarray(found.x, dtype=np.float64), 0.0)


def fit_models(data: Sequence[Collected]) -> ReaderModels:
    ranker = fit_listwise(data)
    interim = ReaderModels(FEATURE_VERSION, ranker, ranker)
    decide_rows, decide_labels, decide_weights = [], [], []
    for d in data:
        ranked = rank(d.found, interim)
        if ranked:
            decide_rows.append(decide_row(ranked))
            decide_labels.append(int(d.example.answerable))
            decide_weights.append(d.example.weight)
    decide = fit(
        np.stack(decide_rows),
        np.asarray(decide_labels),
        DECIDE_FEATURES,
        np.asarray(decide_weights),
    )
    return ReaderModels(FEATURE_VERSION, ranker, decide)


def evaluate(
    data: Sequence[Collected], models: ReaderModels, threshold: float = 0.5
) -> dict[str, Any]:
    """Held-out scores: answer in the best one/two sentences, abstention rates."""
    hit1 = hit2 = quoted_hit = quoted = answered = n_ans = refused = n_un = 0
    for d in data:
        ranked = rank(d.found, models)
        p = 0.0
        if ranked:
            row = decide_row(ranked)
            logit = float(models.decide.logits(row.reshape(1, -1))[0])
            p = 1.0 / (1.0 + np.exp(-logit))
        if d.example.answerable:
            n_ans += 1
            ok = p >= threshold
            answered += ok
            if ranked and ok:
                hit1 += holds_answer(ranked[0].text, d.example.answers)
                hit2 += any(holds_answer(c.text, d.example.answers) for c in ranked[:2])
                chosen = choose(Reading("thing", ranked, p, {}))
                quoted += len(chosen)
                quoted_hit += any(holds_answer(c.text, d.example.answers) for c in chosen)
        else:
            n_un += 1
            refused += p < threshold
    return {
        "answerable": n_ans,
        "unanswerable": n_un,
        "hit@1": round(hit1 / max(n_ans, 1), 4),
        "hit@2": round(hit2 / max(n_ans, 1), 4),
        "hit_quoted": round(quoted_hit / max(n_ans, 1), 4),  # as answers quote (``choose``)
        "sentences_quoted": round(quoted / max(answered, 1), 3),
        "false_abstain": round(1 - answered / max(n_ans, 1), 4),
        "abstain_unanswerable": round(refused / max(n_un, 1), 4),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache-dir", type=Path, default=Path(".eval-cache"))
    parser.add_argument("--limit", type=int, default=None, help="questions per training set")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--sets", default=",".join(SETS), help="training sets to use")
    parser.add_argument(
        "--index",
        action="append",
        default=[],
        metavar="SET=DIR",
        help="use this built index for a set instead of building one in --cache-dir",
    )
    args = parser.parse_args(argv)

    from bot.runtime import make_embedder
    from bot.settings import load_settings
    from index.retrieval import Retriever
    from index.store import IndexStore

    settings = load_settings()
    embedder = make_embedder(settings)
    rng = random.Random(SEED)
    data: list[Collected] = []
    sources: dict[str, int] = {}
    for name in args.sets.split(","):
        corpus, questions_file = SETS[name]
        if not questions_file.exists():
            print(f"skipping {questions_file}: not found", file=sys.stderr)
            continue
        questions = read_questions(questions_file)[: args.limit]
        given = dict(item.split("=", 1) for item in args.index)
        if name in given:
            index_dir = Path(given[name])
        else:
            index_dir, _ = ensure_index(settings, [corpus], embedder, args.cache_dir, progress=True)
        loaded = IndexStore(index_dir).open()
        texts = {s.article.id: s.article.text for s in loaded.db.stored_articles()}
        items = [replace(e, weight=SET_WEIGHTS[name]) for e in examples(questions, texts, rng)]
        sources[questions_file.name] = len(items)
        reader = Reader(loaded, Retriever(loaded, embedder), embedder)
        data.extend(collect(reader, items, questions_file.name))
        loaded.close()
    train = [d for d in data if not d.example.holdout]
    held = [d for d in data if d.example.holdout]
    scores = evaluate(held, fit_models(train))
    print(f"held-out: {json.dumps(scores)}", file=sys.stderr)
    models = fit_models(data)
    models.meta.update({
        "command": "python -m scripts.fit_reader",
        "examples": sources,
        "holdout": scores,
        "fitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })  # fmt: skip
    args.out.write_text(models.to_json(), "utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
