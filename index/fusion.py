"""How a lexical and a dense signal are weighed against each other, per language pairing.

Retrieval (``index.retrieval``) fuses BM25 with cosine, and answer extraction
(``bot.answer.extract``) mixes term coverage with cosine, by the same rule: the lexical side
weighs more when question and text share a language. The rule lives here, below both, so
neither imports the other's constants.

all-MiniLM-L6-v2 is English-centric: it matches an English question to French text well, but
French-French matching poorly; lexical matching is strong within one language and can only match
names and numbers across languages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

#: The lexical share when question and text share a language (dense gets the rest);
#: mirrored (0.3) across languages, where the English-centric dense model is the better judge.
#: On the dev sets the weight was flat between 0.65 and 0.75.
SAME_LANGUAGE_LEXICAL_WEIGHT = 0.7


def lexical_weight(same_language: bool) -> float:
    """The lexical signal's share for one question/text pairing (see module docstring)."""
    return SAME_LANGUAGE_LEXICAL_WEIGHT if same_language else 1.0 - SAME_LANGUAGE_LEXICAL_WEIGHT


def zscores(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Standard scores over the candidate set; a constant list carries no signal and maps to 0."""
    if len(values) == 0:
        return np.zeros_like(values)
    spread = float(values.std())
    if spread < 1e-9:
        return np.zeros_like(values)
    result: NDArray[np.float64] = (values - values.mean()) / spread
    return result


def fuse_scores(
    dense: NDArray[np.float64], lexical: NDArray[np.float64], same_language: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Language-aware convex mix of per-query z-scores.

    Z-scores over the candidate set make cosine and BM25 commensurable per query without any
    corpus-specific constant; the weight then depends only on whether each candidate's language
    equals the question's, so a mixed-language corpus is handled too.
    """
    weight = np.where(
        same_language, SAME_LANGUAGE_LEXICAL_WEIGHT, 1.0 - SAME_LANGUAGE_LEXICAL_WEIGHT
    )
    return weight * zscores(lexical) + (1.0 - weight) * zscores(dense)
