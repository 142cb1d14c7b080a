"""BM25 over chunks (bm25s), with accent folding and Snowball stemming.

Folding makes "Etrangères" match "étrangères"; stemming in the corpus's language makes
"expulsé" match "expulsion". The index is built once per generation and saved beside the
vectors, because tokenising 100k+ chunks at start-up would cost tens of seconds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.text import fold

if TYPE_CHECKING:
    from numpy.typing import NDArray

_TOKEN = re.compile(r"\w+", re.UNICODE)
_STEMMER_NAMES = {
    "fr": "french", "en": "english", "es": "spanish", "de": "german", "it": "italian",
    "pt": "portuguese", "nl": "dutch", "ar": "arabic", "ru": "russian", "sv": "swedish",
    "da": "danish", "no": "norwegian", "fi": "finnish", "tr": "turkish", "ro": "romanian",
    "ca": "catalan", "el": "greek", "hu": "hungarian", "id": "indonesian", "pl": "polish",
}  # fmt: skip
META_FILE = "lexical.json"


@cache
def _stopwords() -> frozenset[str]:
    """French and English function words, folded: questions in one language, text in the other."""
    import bm25s.stopwords as sw

    words = [*sw.STOPWORDS_FRENCH, *sw.STOPWORDS_EN_PLUS]
    return frozenset(fold(w) for w in words)


@dataclass(frozen=True)
class Tokenizer:
    """Fold, split on word characters, drop stopwords and one-letter tokens, stem."""

    language: str

    def __call__(self, text: str) -> list[str]:
        stop = _stopwords()
        words = [w for w in _TOKEN.findall(fold(text)) if len(w) > 1 and w not in stop]
        stemmer = _stemmer(self.language)
        return list(stemmer.stemWords(words)) if stemmer is not None else words


@cache
def _stemmer(language: str) -> Any:
    name = _STEMMER_NAMES.get(language)
    if name is None:
        return None
    import Stemmer

    return Stemmer.Stemmer(name)


class LexicalIndex:
    """BM25 scores for chunk ids; ``allowed`` restricts a search to a filtered set."""

    def __init__(self, model: Any, ids: NDArray[np.int64], language: str) -> None:
        self._model = model
        self.ids = ids
        self.language = language
        self.tokenize = Tokenizer(language)
        self._row_of = {int(chunk): row for row, chunk in enumerate(ids)}

    @classmethod
    def build(cls, texts: Sequence[str], ids: Sequence[int], language: str) -> LexicalIndex:
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
    def load(cls, directory: Path) -> LexicalIndex:
        import bm25s

        meta = json.loads((directory / META_FILE).read_text("utf-8"))
        ids = np.load(directory / "ids.npy")
        model = bm25s.BM25.load(str(directory), show_progress=False) if len(ids) else None
        return cls(model, ids, meta["language"])

    def __len__(self) -> int:
        return len(self.ids)

    def search(
        self, query: str, k: int, *, allowed: NDArray[np.int64] | None = None
    ) -> list[tuple[int, float]]:
        """Top-k (chunk id, BM25 score), best first; chunks that share no term are left out."""
        known = self._known_tokens(query)
        if not known or k <= 0:
            return []
        scores = self._model.get_scores(known)
        if allowed is not None:
            scores = np.where(np.isin(self.ids, allowed), scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(self.ids[row]), float(scores[row])) for row in top if scores[row] > 0]

    def scores_for(self, query: str, ids: Sequence[int]) -> list[float]:
        """BM25 scores of given chunk ids (0 for unknown ids), so fusion sees both scores of
        every candidate, not only of those that made one retriever's top-k."""
        known = self._known_tokens(query)
        if not known or not ids:
            return [0.0] * len(ids)
        scores = self._model.get_scores(known)
        rows = [self._row_of.get(int(i)) for i in ids]
        return [float(scores[row]) if row is not None else 0.0 for row in rows]

    def term_weights(self, query: str) -> dict[str, float]:
        """Each distinct query term with its BM25 idf; a term absent from the corpus gets the
        idf of a term seen in no chunk, so "tartiflette" weighs heavily against coverage."""
        tokens = self.tokenize(query)
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

    def _known_tokens(self, query: str) -> list[str]:
        if self._model is None:
            return []
        vocab = self._model.vocab_dict
        return [t for t in self.tokenize(query) if t in vocab]
