"""Language detection on the short questions users actually type, and stemmer names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import Stemmer

from index.language import DEFAULT_CANDIDATES, detect_language
from index.stemming import SUPPORTED_STEMMERS, stemmer_language

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

FRENCH_PARAGRAPH = (
    "Le ministre russe des Affaires étrangères, Sergueï Lavrov, est arrivé mardi à Bamako pour "
    "une visite officielle. Il doit s'entretenir avec les autorités de transition maliennes de "
    "la coopération militaire entre les deux pays, quelques mois après le départ des soldats "
    "français de l'opération Barkhane."
)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When was the French ambassador expelled?", "en"),
        ("Quand l'ambassadeur de France a-t-il été expulsé ?", "fr"),
        ("Qui a invité Lavrov ?", "fr"),
        ("Quand l’ambassadeur a-t-il été expulsé ?", "fr"),
        ("Who invited Lavrov?", "en"),
        ("Where is Bamako?", "en"),
        ("Où est Bamako ?", "fr"),
        ("Pourquoi ?", "fr"),
        ("Why?", "en"),
        ("¿Quién invitó a Lavrov?", "es"),
        ("Wer hat Lavrov eingeladen?", "de"),
        ("Кто пригласил Лаврова?", "ru"),
        (FRENCH_PARAGRAPH, "fr"),
    ],
)
def test_short_questions_and_paragraphs(question: str, expected: str) -> None:
    assert detect_language(question) == expected


@pytest.mark.parametrize("text", ["", "   ", "?!", "2023", "Lavrov ?"])
def test_no_telling_gives_the_default(text: str) -> None:
    assert detect_language(text) == "en"
    assert detect_language(text, default="fr") == "fr"


def test_candidates_restrict_the_answer() -> None:
    assert detect_language("Qui a invité Lavrov ?", candidates=["en", "de"]) in {"en", "de"}
    assert detect_language(FRENCH_PARAGRAPH, candidates=["FR", "en"]) == "fr"


def test_unknown_candidate_is_refused() -> None:
    with pytest.raises(ValueError, match="xx"):
        detect_language("bonjour", candidates=["fr", "xx"])
    with pytest.raises(ValueError, match="empty"):
        detect_language("bonjour", candidates=[])


def test_default_candidates_include_the_corpus_and_user_languages() -> None:
    assert {"fr", "en"} <= set(DEFAULT_CANDIDATES)


@pytest.mark.shared
def test_accuracy_on_real_questions() -> None:
    """Both eval sets: English and French questions, many with only a name and a verb."""
    paths = [SHARED / "eval" / name / "questions.jsonl" for name in ("xling-dev", "piaf-dev")]
    if not all(path.exists() for path in paths):
        pytest.skip(f"{SHARED}/eval is absent: the shared data sits beside the repo root")
    questions = [json.loads(line) for path in paths for line in path.open(encoding="utf-8")]
    wrong = [q["question"] for q in questions if detect_language(q["question"]) != q["lang"]]
    assert len(wrong) <= len(questions) // 100, wrong[:20]


@pytest.mark.parametrize(
    ("code", "algorithm"),
    [("fr", "french"), ("en", "english"), ("es", "spanish"), ("fr-FR", "french"), ("EN", "english"),
     ("pt_BR", "portuguese"), ("xx", None), ("und", None), ("", None)],
)  # fmt: skip
def test_stemmer_language(code: str, algorithm: str | None) -> None:
    assert stemmer_language(code) == algorithm


def test_every_stemmer_name_exists_in_pystemmer() -> None:
    assert set(SUPPORTED_STEMMERS.values()) <= set(Stemmer.algorithms())
