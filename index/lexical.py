"""BM25 over chunks (bm25s), with accent folding and Snowball stemming.

Folding makes "Etrangères" match "étrangères"; stemming in the corpus's language makes
"expulsé" match "expulsion". The index is built once per generation and saved beside the
vectors, because tokenising 100k+ chunks at start-up would cost tens of seconds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from index.stemming import stemmer
from index.text import fold

if TYPE_CHECKING:
    from numpy.typing import NDArray

_TOKEN = re.compile(r"\w+", re.UNICODE)
META_FILE = "lexical.json"


@cache
def _stopwords() -> frozenset[str]:
    """French and English function words, folded: questions in one language, text in the other."""
    sw = bm25s_stopwords()
    words = [*sw.STOPWORDS_FRENCH, *sw.STOPWORDS_EN_PLUS]
    return frozenset(fold(w) for w in words)


def bm25s_stopwords() -> Any:
    """bm25s's stopword lists, read from their own file: ``import bm25s.stopwords`` runs the
    package's ``__init__``, which imports scipy (a third of a cold ``ask``) for no word lists."""
    import importlib.util

    spec = importlib.util.find_spec("bm25s")  # a top-level package: located, not imported
    origin = Path(spec.origin).parent / "stopwords.py" if spec and spec.origin else None
    if origin is not None and origin.is_file():
        loader = importlib.util.spec_from_file_location("_newsbot_bm25s_stopwords", origin)
        if loader is not None and loader.loader is not None:
            module = importlib.util.module_from_spec(loader)
            loader.loader.exec_module(module)
            return module
    import bm25s.stopwords

    return bm25s.stopwords


#: Distinct words whose stems a tokenizer remembers (about 25 MB) before it starts afresh.
STEM_MEMORY_WORDS = 200_000


@dataclass(frozen=True)
class Tokenizer:
    """Fold, split on word characters, drop stopwords and one-letter tokens, stem.

    Stems are remembered by word: a corpus repeats its words, and a dictionary lookup costs a
    third of a call into the stemmer (30,000 OrangeSum chunks: 0.7 against 1.7-2.2 s; ad hoc).
    """

    language: str
    _stems: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __call__(self, text: str) -> list[str]:
        stop = _stopwords()
        words = [w for w in _TOKEN.findall(fold(text)) if len(w) > 1 and w not in stop]
        stem = stemmer(self.language)
        if stem is None:
            return words
        stems = self._stems
        if len(stems) > STEM_MEMORY_WORDS:
            stems.clear()
        out = []
        for word in words:
            stemmed = stems.get(word)
            if stemmed is None:
                stemmed = stems[word] = stem.stemWord(word)
            out.append(stemmed)
        return out


class LexicalScores(Protocol):
    """One question scored against the whole corpus once; both retrieval needs read from it."""

    def top(self, k: int, *, allowed: NDArray[np.int64] | None = None) -> list[tuple[int, float]]:
        """Top-k (chunk id, score), best first; chunks that share no term are left out."""
        ...

    def of(self, ids: Sequence[int]) -> list[float]:
        """Scores of given chunk ids (0 for unknown ids), so fusion sees both scores of every
        candidate, not only of those that made one retriever's top-k."""
        ...


class LexicalIndex(Protocol):
    """What retrieval and answering ask of the lexical side of an index."""

    language: str  # the corpus language its tokenizer stems for

    def __len__(self) -> int: ...

    def tokenize(self, text: str) -> list[str]:
        """The index's own tokens for a text (folded, stopwords dropped, stemmed)."""
        ...

    def score(self, tokens: Sequence[str]) -> LexicalScores:
        """Score every chunk for a tokenized question (one pass over the corpus)."""
        ...

    def term_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        """Each distinct token with its idf (a token absent from the corpus weighs the most)."""
        ...

    def save(self, directory: Path) -> None: ...


class BM25Scores:
    """A question's BM25 score for every chunk, in index row order."""

    def __init__(self, scores: NDArray[np.float32] | None, index: BM25Index) -> None:
        self._scores = scores  # None: the question shares no term with the corpus
        self._index = index

    def top(self, k: int, *, allowed: NDArray[np.int64] | None = None) -> list[tuple[int, float]]:
        if self._scores is None or k <= 0:
            return []
        ids = self._index.ids
        scores = self._scores
        if allowed is not None:
            scores = np.where(np.isin(ids, allowed), scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(ids[row]), float(scores[row])) for row in top if scores[row] > 0]

    def of(self, ids: Sequence[int]) -> list[float]:
        if self._scores is None or not ids:
            return [0.0] * len(ids)
        rows = [self._index.row_of(int(i)) for i in ids]
        return [float(self._scores[row]) if row is not None else 0.0 for row in rows]


class BM25Index:
    """BM25 (bm25s) over chunk texts, saved as a directory beside the vectors."""

    def __init__(self, model: Any, ids: NDArray[np.int64], language: str) -> None:
        self._model = model
        self.ids = ids
        self.language = language
        self._tokenizer = Tokenizer(language)
        self._row_of = {int(chunk): row for row, chunk in enumerate(ids)}

    @classmethod
    def build(cls, texts: Sequence[str], ids: Sequence[int], language: str) -> BM25Index:
        import bm25s

        tokenize = Tokenizer(language)
        model = bm25s.BM25()
        corpus = [tokenize(text) or ["\u2205"] for text in texts]
        if corpus:
            model.index(corpus, show_progress=False)
        return cls(model, np.asarray(list(ids), dtype=np.int64), language)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if len(self.ids):
            self._model.save(str(directory), show_progress=False)
        np.save(directory / "ids.npy", self.ids)
        (directory / META_FILE).write_text(json.dumps({"language": self.language}), "utf-8")

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        meta = json.loads((directory / META_FILE).read_text("utf-8"))
        ids = np.load(directory / "ids.npy")
        model: Any = None
        if len(ids):
            model = _SavedBM25.load(directory)
            if model is None:
                import bm25s

                model = bm25s.BM25.load(str(directory), show_progress=False)
        return cls(model, ids, meta["language"])

    def __len__(self) -> int:
        return len(self.ids)

    def tokenize(self, text: str) -> list[str]:
        return self._tokenizer(text)

    def row_of(self, chunk_id: int) -> int | None:
        return self._row_of.get(chunk_id)

    def score(self, tokens: Sequence[str]) -> BM25Scores:
        """One ``get_scores`` call per question; ``top`` and ``of`` both read its result."""
        known = self._known(tokens)
        return BM25Scores(self._model.get_scores(known) if known else None, self)

    def term_weights(self, tokens: Sequence[str]) -> dict[str, float]:
        """A term absent from the corpus gets the idf of a term seen in no chunk, so
        "tartiflette" weighs heavily against coverage."""
        if not tokens:
            return {}
        total = len(self.ids)
        vocab = self._model.vocab_dict if self._model is not None else {}
        indptr = self._model.scores["indptr"] if self._model is not None else None
        weights: dict[str, float] = {}
        for token in tokens:
            column = vocab.get(token)
            df = 0 if column is None or indptr is None else int(indptr[column + 1] - indptr[column])
            weights[token] = float(np.log(1.0 + (total - df + 0.5) / (df + 0.5)))
        return weights

    def _known(self, tokens: Sequence[str]) -> list[str]:
        if self._model is None:
            return []
        vocab = self._model.vocab_dict
        return [t for t in tokens if t in vocab]


class _SavedBM25:
    """A saved bm25s index read straight from its arrays, for answering only.

    Importing bm25s pulls in scipy (~0.2-0.6 s, a third of a cold ``ask``), yet scoring a
    question is a sum of precomputed per-(token, chunk) scores: what bm25s's numpy backend does,
    done here without the import. Methods that add a non-occurrence score are left to bm25s.
    """

    _PLAIN_METHODS = frozenset({"lucene", "robertson", "atire"})

    def __init__(self, vocab: dict[str, int], arrays: dict[str, Any], num_docs: int) -> None:
        self.vocab_dict = vocab
        self.scores = arrays | {"num_docs": num_docs}

    @classmethod
    def load(cls, directory: Path) -> _SavedBM25 | None:
        params = json.loads((directory / "params.index.json").read_text("utf-8"))
        if params.get("method") not in cls._PLAIN_METHODS:
            return None
        vocab = json.loads((directory / "vocab.index.json").read_text("utf-8"))
        arrays = {
            name: np.load(directory / f"{name}.csc.index.npy")
            for name in ("data", "indices", "indptr")
        }
        return cls(vocab, arrays, int(params["num_docs"]))

    def get_scores(self, tokens: Sequence[str]) -> NDArray[np.float32]:
        """BM25 of every chunk for the known ``tokens`` (a repeated token counts each time)."""
        data, indices, indptr = self.scores["data"], self.scores["indices"], self.scores["indptr"]
        columns = [self.vocab_dict[t] for t in tokens if t in self.vocab_dict]
        scores = np.zeros(self.scores["num_docs"], dtype=np.float32)
        for column in columns:
            start, end = int(indptr[column]), int(indptr[column + 1])
            scores[indices[start:end]] += data[start:end]  # a chunk appears once per column
        return scores
