"""What the embedding model reads of French text (setting NEWSBOT_EMBED_TEXT): every word, or
only the content words.

all-MiniLM-L6-v2 was trained on English. French function words ("de", "la", "les", "l'", "est")
are about 30% of a French chunk's tokens, and the model's cost grows faster than the length
(attention is quadratic). With ``content`` the model reads French without them, and a build is
1.2 to 1.6 times faster (1.48× alternated with the old build). The price is dense matching of
French questions: dense-only recall@5 falls by 5 to 10 points on the dev sets, which the hybrid
ranking mostly hides (recall@5 -1.2 to +0.1 point). ``full`` stays the default
(benchmarks/README.md, "Reading only content words"). A French question is read the way its
index read the passages; English is always read whole, since to an English model its own
function words are grammar it was trained on.

Only the model's input changes: chunks, quotes and BM25 terms keep every word.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from index.lexical import bm25s_stopwords

EmbedText = Literal["full", "content"]

# An elided article or pronoun glued to the next word: l'armée, d'un, qu'il, jusqu'à.
_ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_EDGE_PUNCTUATION = ".,;:!?«»\"'()[]’‘“”…-–—"


@cache
def _french_function_words() -> frozenset[str]:
    return frozenset(bm25s_stopwords().STOPWORDS_FRENCH)


def content_words(text: str) -> str:
    """French ``text`` without its function words and elisions; whole if nothing would remain."""
    stop = _french_function_words()
    kept: list[str] = []
    for word in text.split():
        word = _ELISION.sub("", word)
        if word and word.lower().strip(_EDGE_PUNCTUATION) not in stop:
            kept.append(word)
    return " ".join(kept) if kept else text


def model_text(text: str, language: str, embed_text: EmbedText) -> str:
    """The text the model embeds for ``text`` in ``language`` under the index's ``embed_text``."""
    if embed_text == "content" and language == "fr":
        return content_words(text)
    return text
