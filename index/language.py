"""Which language a text is in (the stemmer for it: ``index.stemming``).

py3langid alone is unreliable on the short questions users type ("Who invited Lavrov?" comes out
Italian): a character n-gram model has too little to go on. Two cheap fixes make it dependable:
the model only chooses among languages users plausibly write in, and on short texts the function
words it contains (who/qui/quién, the/le/el...) each add a fixed bonus to their languages' scores.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import py3langid.langid as langid

#: Languages detect_language chooses among unless told otherwise: the corpus's, the users' and
#: their neighbours. Fewer candidates means fewer absurd answers on short texts.
DEFAULT_CANDIDATES: tuple[str, ...] = (
    "fr", "en", "es", "de", "it", "pt", "nl", "ar", "ru", "uk", "pl", "ro", "sv", "tr", "zh", "ja",
)  # fmt: skip

# Question words and the commonest function words. A word listed for several languages helps
# none of them against the others, so overlaps are harmless.
_CUE_WORDS: Mapping[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "fr": "qui que quoi quand où ou pourquoi comment combien quel quelle quels quelles "
        "lequel laquelle le la les un une des du de au aux et est sont a ont été il elle ils "
        "elles ce cette ces qu' l' d' n' c' s' dans pour sur avec par ne pas se son sa ses leur",
        "en": "who whom whose what when where why how which the a an of to in on at and is are "
        "was were did does do has have had been be by for with from that this it its",
        "es": "quién quiénes qué cuándo dónde por cómo cuál cuáles cuánto el la los las un una "
        "de del al y es son fue fueron ha han en con para se su",
        "de": "wer was wann wo warum wie welche welcher welches der die das den dem des ein eine "
        "und ist sind war waren hat haben wurde im in mit von zu auf für",
        "it": "chi che cosa quando dove perché come quale quali quanto il lo la gli le un una di "
        "del della dei e è sono era ha hanno stato nel con per da",
        "pt": "quem que quando onde por como qual quais quanto o a os as um uma de do da dos das "
        "e é são foi foram tem em no na com para",
        "nl": "wie wat wanneer waar waarom hoe welke de het een van en is zijn was waren heeft "
        "hebben werd in op met voor",
    }.items()
}
_CUE_BONUS = 1.5  # log-probability added per cue word: two cue words outweigh a 20:1 model verdict
_SHORT_TEXT_WORDS = 20  # beyond this the n-gram model is reliable on its own
_MIN_CONFIDENCE = 0.3  # below this, with no cue word either, the text is just a name: say so
_WORD = re.compile(r"\w+['’]?")


def detect_language(
    text: str, *, candidates: Sequence[str] | None = None, default: str = "en"
) -> str:
    """Return the ISO 639-1 code of ``text``'s language, or ``default`` when there is no telling.

    ``candidates`` restricts the answer (default: ``DEFAULT_CANDIDATES``); an unknown code raises
    ``ValueError``. Text without letters, or a bare name such as "Lavrov ?", gives ``default``.
    """
    words = [match.group().lower().replace("’", "'") for match in _WORD.finditer(text)]
    if not any(char.isalpha() for word in words for char in word):
        return default
    ranked: list[tuple[str, float]] = _identifier(_language_key(candidates)).rank(text)
    if len(words) > _SHORT_TEXT_WORDS:
        return ranked[0][0]
    return _best_with_cues(ranked, words, default)


def _best_with_cues(ranked: list[tuple[str, float]], words: list[str], default: str) -> str:
    """Add the cue-word bonus to each language's log-probability and pick the best."""
    best_lang, best_score, any_cue = default, -math.inf, False
    for lang, probability in ranked:
        cues = _CUE_WORDS.get(lang, frozenset())
        hits = sum(word in cues for word in words)
        any_cue = any_cue or hits > 0
        score = math.log(max(probability, 1e-12)) + _CUE_BONUS * hits
        if score > best_score:
            best_lang, best_score = lang, score
    if not any_cue and ranked[0][1] < _MIN_CONFIDENCE:
        return default
    return best_lang


def _language_key(candidates: Sequence[str] | None) -> tuple[str, ...]:
    """A canonical, hashable form of the candidate list, so equal sets share one identifier."""
    if candidates is None:
        return DEFAULT_CANDIDATES
    key = tuple(sorted({code.strip().lower() for code in candidates}))
    if not key:
        raise ValueError("candidates is empty; pass None to use DEFAULT_CANDIDATES")
    return key


#: Where an uncompressed copy of the py3langid model is kept (``use_model_cache``), or None.
_model_cache: list[Path] = []


def use_model_cache(directory: Path) -> None:
    """Keep an uncompressed copy of the language model in ``directory`` and load from it.

    The shipped model is LZMA-compressed: decompressing it costs ~0.3-1.5 s on every start,
    most of the first question's time. The copy (~70 MB of .npy files) loads memory-mapped.
    """
    _model_cache[:] = [directory / "py3langid"]


@functools.cache
def _full_identifier() -> Any:
    """The model over all its languages, loaded once (from the uncompressed copy if kept)."""
    cache = _model_cache[0] if _model_cache else None
    if cache is not None and (cache / "done").is_file():
        return _identifier_from(cache)
    identifier = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    if cache is not None:
        with contextlib.suppress(OSError):  # a read-only cache only costs the slow load
            _save_model(cache)
    return identifier


_MODEL_ARRAYS = ("ptc", "pc", "classes", "nextmove", "nextmove_row", "out_feat")


def _save_model(target: Path) -> None:
    import lzma
    import shutil
    import tempfile

    import numpy as np

    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(suffix=".npz") as tmp:
        with lzma.open(langid.MODEL_DIR / langid.MODEL_FILE) as source:
            shutil.copyfileobj(source, tmp, length=1 << 20)
        tmp.seek(0)
        with np.load(tmp, allow_pickle=False) as data:
            for name in _MODEL_ARRAYS:
                np.save(target / f"{name}.npy", data[name])
    (target / "done").write_text("1", "utf-8")


def _identifier_from(cache: Path) -> Any:
    import numpy as np
    from py3langid.modelio import _to_array

    arrays = {name: np.load(cache / f"{name}.npy", mmap_mode="r") for name in _MODEL_ARRAYS}
    return langid.LanguageIdentifier(
        np.asarray(arrays["ptc"]),
        np.asarray(arrays["pc"]),
        arrays["classes"].tolist(),
        _to_array(arrays["nextmove"]),
        arrays["out_feat"].tolist(),
        norm_probs=True,
        tk_row=_to_array(arrays["nextmove_row"]),
    )


@functools.cache
def _identifier(languages: tuple[str, ...]) -> Any:
    """A copy of the model restricted to ``languages``; set_languages replaces, never mutates, the
    arrays, so a shallow copy leaves the full model intact for other candidate sets."""
    identifier = copy.copy(_full_identifier())
    identifier.set_languages(languages)
    return identifier
