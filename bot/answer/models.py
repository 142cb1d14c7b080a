"""What the answering service returns to every front end (Discord, console, eval)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Citation:
    """A numbered source. ``quote`` is the exact sentence taken from the article."""

    n: int
    article_id: str
    title: str
    date: str | None
    source: str | None
    url: str | None
    quote: str


@dataclass(slots=True)
class Answer:
    """A reply: text with [n] markers that refer to ``citations``, or an abstention.

    When ``abstained`` is true, ``text`` says the indexed news does not answer the question and
    ``citations`` lists the closest matches (they are not cited in the text).
    """

    question: str
    language: str  # "en" or "fr": the language of the framing text
    text: str
    citations: list[Citation]
    abstained: bool
    timings_ms: dict[str, float] = field(default_factory=dict)
    retrieved_article_ids: list[str] = field(default_factory=list)  # ranked, for evaluation
    # The next ranked articles after the cited ones (numbered on), for "more sources" buttons.
    more: list[Citation] = field(default_factory=list)
    # The reader's estimate that the corpus answers (None when nothing was read): the number the
    # abstain threshold is compared with, kept for `newsbot eval --details`.
    answerable: float | None = None
    # The span the reply opens with as the answer ("janvier 2022"), None when it opens with the
    # quotes themselves: `newsbot eval` scores how often it is an accepted answer.
    lead: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The console's ``--json`` shape, exactly."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "language": self.language,
            "citations": [asdict(c) for c in self.citations],
            "timings_ms": {
                k: round(self.timings_ms.get(k, 0.0), 1) for k in ("retrieve", "answer", "total")
            },
        }
