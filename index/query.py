"""A question prepared once for retrieval and answering.

Everything derived from the question text (language, vector, lexical tokens, term weights) is
computed once by ``Retriever.prepare`` and handed along, so retrieval, sentence scoring and
quoting all read the same values and nobody reaches into the indexes for them again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from index.models import SearchFilters

if TYPE_CHECKING:
    from numpy.typing import NDArray


@dataclass(frozen=True, slots=True, eq=False)
class PreparedQuestion:
    """A question with what every stage needs from it.

    ``tokens`` are the lexical index's own tokens for the text (folded, stemmed in the corpus's
    language), plus translations of the question's words when it is in another language;
    ``term_weights`` maps each distinct term to its idf, a translated word as one term group
    ("hour|heur", ``index.crosslingual``). ``vector`` is None only when the question was
    prepared for lexical search alone. ``recent``: it asks for the latest news
    (``index.recency.wants_recent``).
    """

    text: str
    language: str
    vector: NDArray[np.float32] | None
    tokens: tuple[str, ...]
    term_weights: Mapping[str, float] = field(default_factory=dict)
    filters: SearchFilters | None = None
    recent: bool = False

    def require_vector(self) -> NDArray[np.float32]:
        """The question's unit vector; a dense search on a lexical-only preparation is a bug."""
        if self.vector is None:
            raise ValueError(f"question {self.text!r} was prepared without a vector (embed=False)")
        return self.vector
