"""Evaluation metrics against values computed by hand on tiny cases."""

from __future__ import annotations

import pytest

from bot.evaluation.metrics import (
    Outcome,
    answer_hit,
    dedupe,
    percentile,
    recall_at_k,
    reciprocal_rank,
    summarize,
    summarize_by_lang,
)

RANKED = ["a3", "a1", "a7", "a2"]


def test_dedupe_keeps_first_rank_of_each_article() -> None:
    assert dedupe(["a1", "a2", "a1", "a3", "a2"]) == ["a1", "a2", "a3"]


@pytest.mark.parametrize(
    ("gold", "k", "expected"),
    [
        ("a3", 1, 1.0),
        ("a1", 1, 0.0),
        ("a1", 2, 1.0),
        ("a2", 3, 0.0),
        ("a2", 4, 1.0),
        ("zz", 20, 0.0),
    ],
)
def test_recall_at_k(gold: str, k: int, expected: float) -> None:
    assert recall_at_k(RANKED, gold, k) == expected


def test_recall_rejects_k_below_one() -> None:
    with pytest.raises(ValueError, match="k=0"):
        recall_at_k(RANKED, "a3", 0)


@pytest.mark.parametrize(
    ("gold", "depth", "expected"),
    [("a3", 20, 1.0), ("a1", 20, 0.5), ("a7", 20, 1 / 3), ("a2", 20, 0.25), ("a2", 3, 0.0)],
)
def test_reciprocal_rank(gold: str, depth: int, expected: float) -> None:
    assert reciprocal_rank(RANKED, gold, depth) == pytest.approx(expected)


def test_answer_hit_ignores_case_accents_markers_and_spacing() -> None:
    text = "Selon l’AFP, les ÉTATS-UNIS  ont voté [1] contre [2, 3]."
    assert answer_hit(text, ["etats-unis"])
    assert answer_hit(text, ["l'afp"])  # curly apostrophe in the answer, straight in the gold
    assert answer_hit(text, ["ont voté contre"])  # the [1] marker does not break the phrase
    assert not answer_hit(text, ["Royaume-Uni", ""])


def test_percentile_interpolates_like_numpy() -> None:
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 50) == pytest.approx(25.0)
    assert percentile(values, 95) == pytest.approx(38.5)  # 30 + 0.85 * 10
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summarize_hand_computed() -> None:
    outcomes = [
        Outcome("fr", "a1", ["a1", "a2"], hit=True),  # rank 1
        Outcome("fr", "a2", ["a1", "a3", "a4", "a5", "a2"], abstained=True),  # rank 5, abstained
        Outcome("en", "a3", ["a9"], hit=True),  # missed; hit counts anyway
        Outcome("en", "a4", ["a1", "a4"], hit=True, abstained=True),  # rank 2; abstained: no hit
        Outcome("en", None, ["a1"], abstained=True),  # unanswerable, abstained
        Outcome("en", None, ["a2"]),  # unanswerable, answered
    ]
    overall = summarize(outcomes, [1, 5, 20], depth=20)
    assert overall.n == 6
    assert overall.recall == {1: 0.25, 5: 0.75, 20: 0.75}
    assert overall.mrr == pytest.approx((1 + 1 / 5 + 0 + 1 / 2) / 4)
    assert overall.answer_hit == pytest.approx(2 / 4)
    assert overall.false_abstain == pytest.approx(2 / 4)
    assert overall.abstain_unanswerable == pytest.approx(1 / 2)

    by_lang = summarize_by_lang(outcomes, [1, 5], depth=4)
    assert list(by_lang) == ["en", "fr"]
    assert by_lang["fr"].recall == {1: 0.5, 5: 1.0}
    assert by_lang["fr"].mrr == pytest.approx(0.5)  # rank 5 lies beyond depth 4
    assert by_lang["fr"].abstain_unanswerable is None  # no unanswerable French question
    assert by_lang["en"].to_json() == {
        "n": 4, "recall@1": 0.0, "recall@5": 0.5, "mrr": 0.25, "answer_hit": 0.5,
        "false_abstain": 0.5, "abstain_unanswerable": 0.5,
    }  # fmt: skip
    assert list(by_lang["en"].to_json(answers=False)) == ["n", "recall@1", "recall@5", "mrr"]


def test_answer_hit_by_type_counts_answerable_questions_only() -> None:
    from bot.evaluation.metrics import answer_hit_by_type

    outcomes = [
        Outcome("en", "a1", ["a1"], hit=True, answer_type="date"),
        Outcome("en", "a2", ["a2"], hit=False, answer_type="date"),
        Outcome("fr", "a3", ["a3"], hit=True, abstained=True, answer_type="person"),
        Outcome("fr", None, ["a3"], abstained=True, answer_type="person"),
    ]
    assert answer_hit_by_type(outcomes) == {"date": (2, 0.5), "person": (1, 0.0)}


def test_a_lead_counts_as_right_when_it_names_an_accepted_answer() -> None:
    from bot.evaluation.metrics import lead_matches, lead_quality

    assert lead_matches("en 1848", ["1848"])  # the lead holds the answer
    assert lead_matches("Zakharova", ["Maria Zakharova"])  # the answer holds the lead
    assert lead_matches("Etats-Unis", ["États-Unis"])
    assert not lead_matches("10 novembre 1483", ["18 février 1546"])
    assert not lead_matches(None, ["1848"]) and not lead_matches("", ["1848"])
    assert not lead_matches("1848", [""])
    outcomes = [
        Outcome("en", "a1", ["a1"], hit=True, lead="1848", lead_right=True),
        Outcome("en", "a2", ["a2"], hit=True, lead="Museveni", lead_right=False),
        Outcome("en", "a3", ["a3"], hit=True),  # quotes only
        Outcome("fr", "a4", ["a4"], abstained=True, lead=None),  # refused: not answered
        Outcome("fr", None, ["a4"], lead="1848"),  # unanswerable: not scored here
    ]
    quality = lead_quality(outcomes)
    assert (quality.answered, quality.led, quality.right) == (3, 2, 1)
    assert quality.precision == 0.5
    assert quality.to_json() == {"answered": 3, "led": 2, "right": 1, "precision": 0.5}
