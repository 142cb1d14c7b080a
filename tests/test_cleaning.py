"""Navigation, promotion, credits and bylines never reach the index as quotable text."""

from __future__ import annotations

import json
from pathlib import Path

from index.builder import BuildConfig, build_index
from index.cleaning import CleaningReport, clean_articles, clean_text
from index.embedding import HashingEmbedder
from index.models import Article
from index.stats import read_stats
from index.store import IndexStore
from tests.support import shared_path

# Written in the manner of a BBC Afrique body as MasakhaNEWS stores it: no line breaks, the
# navigation glued between two sentences.
BBC_BODY = (
    "Le canal de Suez est bloqué depuis mardi par un porte-conteneurs géant. "
    "Selon la société Sea-Intelligence, des centaines de navires attendent. "
    "A ne pas manquer sur BBC Afrique : Les prix du pétrole ont augmenté de 6 % jeudi. "
    "Lire aussi : Les armateurs envisagent de contourner l'Afrique par le cap de Bonne-Espérance. "
    "Articles recommandés : L'Égypte affirme que le trafic reprendra dans quelques jours. "
    "Regarder :"
)


def test_bbc_navigation_cues_are_removed_and_the_news_kept() -> None:
    cleaned = clean_text(BBC_BODY)
    for cue in ("A ne pas manquer", "Lire aussi", "Articles recommandés", "Regarder"):
        assert cue not in cleaned
    assert "Les prix du pétrole ont augmenté de 6 % jeudi." in cleaned
    assert cleaned.endswith("reprendra dans quelques jours.")
    assert "bloqué depuis mardi par un porte-conteneurs géant. Selon la société" in cleaned


def test_english_credits_and_bylines_are_removed() -> None:
    text = (
        "By Jane Smith, BBC News\n\nThe vaccine was approved on Monday. Image source, Getty Images"
        "\n\nRead more: The trials took two years. Officials welcomed the decision (Photo: AFP)."
    )
    cleaned = clean_text(text)
    assert "Jane Smith" not in cleaned and "Getty" not in cleaned and "Read more" not in cleaned
    assert "The vaccine was approved on Monday." in cleaned
    assert "The trials took two years." in cleaned
    assert "(Photo" not in cleaned


def test_a_colon_prefix_repeated_across_a_source_is_furniture_without_any_list() -> None:
    articles = [
        Article(
            f"a{i}",
            f"Titre {i}",
            f"Le fait numéro {i} est établi. Plus sur notre appli "
            f"Afrique : Le témoin {i} a parlé mardi.",
            source="Gazette",
        )
        for i in range(10)
    ]
    articles.append(Article("b", "Autre", "Il a ajouté : tout va bien.", source="Gazette"))
    report = CleaningReport()
    cleaned = clean_articles(articles, report)
    assert all("notre appli" not in a.text for a in cleaned)
    assert cleaned[3].text == "Le fait numéro 3 est établi. Le témoin 3 a parlé mardi."
    assert cleaned[-1].text == "Il a ajouté : tout va bien."  # said once: not furniture
    assert report.articles_changed == 10 and report.chars_removed > 0


def test_real_bbc_afrique_articles_lose_their_navigation() -> None:
    path = shared_path("corpus", "masakhanews-fra.jsonl")
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines()[:300]]
    articles = [Article(r["id"], r["title"], r["text"], source=r["source"]) for r in records]
    with_cue = [a for a in articles if "A ne pas manquer sur BBC Afrique" in a.text]
    assert with_cue, "the corpus sample should hold the BBC navigation cue"
    cleaned = {a.id: a for a in clean_articles(articles)}
    for article in with_cue:
        text = cleaned[article.id].text
        assert "A ne pas manquer" not in text and "Lire aussi" not in text
        # the sentence the cue was glued to survives, verbatim
        after = article.text.split("A ne pas manquer sur BBC Afrique :", 1)[1].strip()
        assert after[:40] in text


def test_the_index_stores_cleaned_bodies_and_stats_report_the_removal(
    tmp_path: Path, hashing_embedder: HashingEmbedder
) -> None:
    corpus = tmp_path / "bbc.jsonl"
    record = {"id": "suez", "title": "Canal de Suez", "text": BBC_BODY, "source": "BBC Afrique"}
    corpus.write_text(json.dumps(record, ensure_ascii=False) + "\n", "utf-8")
    root = tmp_path / "index"
    build_index(IndexStore(root), [corpus], hashing_embedder, BuildConfig())
    stats = read_stats(root)
    assert stats.cleaning["articles_changed"] == 1
    assert stats.cleaning["chars_removed"] > 0
    assert "removed from 1 of 1 articles" in stats.describe()
    loaded = IndexStore(root).open()
    try:
        text = loaded.db.article_texts(["suez"])["suez"]
    finally:
        loaded.close()
    assert "A ne pas manquer" not in text and "Les prix du pétrole" in text


def test_headlines_glued_after_a_cue_are_removed_from_a_real_bbc_article() -> None:
    path = shared_path("corpus", "masakhanews-fra.jsonl")
    records = (json.loads(line) for line in path.read_text("utf-8").splitlines())
    articles = [Article(r["id"], r["title"], r["text"], source=r["source"]) for r in records]
    original = next(a for a in articles if a.id == "masakhanews-fra-0653")
    assert "Lire aussi : Kenya-corruption" in original.text
    # over the whole source, as a build cleans it ("Lire aussi :" is also repeated furniture)
    cleaned = next(a for a in clean_articles(articles) if a.id == original.id).text
    # the two linked headlines go; the sentence glued to the second one stays, verbatim
    assert "fonctionnaires convoqués" not in cleaned and "Arap Moi" not in cleaned
    assert (
        "démenti les accusations. La justice kényane enquête sur la façon dont l'appel "
        "d'offres a été attribué." in cleaned
    )


def test_a_sentence_after_a_cue_is_kept_when_no_headline_precedes_it() -> None:
    for body, kept in (
        ("Il pleut. Lire aussi : À La Défense, le cœur bat. Fin.", "À La Défense, le cœur bat."),
        ("Il pleut. Lire aussi : Le Monde rapporte que La Poste ferme.", "Le Monde rapporte que"),
        ("Read more: Shops in Lagos closed after The Guardian reported it.", "Shops in Lagos"),
    ):
        assert kept in clean_text(body)
    assert clean_text("Lire aussi : Sida : les financements en chute Les dons baissent.") == (
        "Les dons baissent."
    )
    # the cue without its colon, as some BBC Afrique bodies have it
    bare = "Il pleut. Lire aussi Alerte au faux vaccin au Niger Le vaccin est un virus. Fin."
    assert clean_text(bare) == "Il pleut. Le vaccin est un virus. Fin."
    prose = "Il faut lire aussi le rapport. Voir également la carte."
    assert clean_text(prose) == prose  # no capital after it: a sentence, not a cue
