"""index.corpus: real files in, Articles out; bad input is reported and skipped, never fatal."""

from __future__ import annotations

import gzip
import itertools
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from bot.runtime import make_build_config
from bot.settings import load_settings
from index.builder import build_index
from index.corpus import iter_corpus_files, read_corpus
from index.embedding import HashingEmbedder
from index.errors import CorpusError, SettingsError
from index.models import Article, LoadReport
from index.store import IndexStore

REPO = Path(__file__).resolve().parents[1]
SHARED_CORPUS = REPO.parent / "shared" / "corpus"
SAMPLE_NAME = "mali-russie-lavrov-2023-02.txt"
BUNDLED_SAMPLE = REPO / "data" / "sample" / SAMPLE_NAME


def shared_file(name: str) -> Path:
    path = SHARED_CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared data lives beside the repo, not in it")
    return path


def read(paths: Iterable[Path], **kwargs: Any) -> tuple[list[Article], LoadReport]:
    report = LoadReport()
    return list(read_corpus(list(paths), report=report, **kwargs)), report


def write_jsonl(path: Path, records: Iterable[object]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


def reasons(report: LoadReport) -> dict[str, str]:
    return {skip.origin: skip.reason for skip in report.skipped}


LONG = "Un texte assez long pour compter comme un vrai article de presse. " * 5


# --- the product's sample article ----------------------------------------------------------------


def check_sample(article: Article) -> None:
    assert article.id == "mali-russie-lavrov-2023-02"
    assert article.date == "2023-02"
    assert article.title.startswith("Mali : Sergueï Lavrov")
    assert "\n" not in article.title
    assert article.source == "journaldebangui"
    assert article.url is None
    assert "l’expulsion en janvier 2022" in article.text
    assert article.text.endswith("Sergueï Lavrov se rendra à Nouakchott et à Khartoum.")
    assert "APA" not in article.text.split()
    assert "SourceURL" not in article.text
    assert "date 2023-02" not in article.text


@pytest.mark.shared
def test_shared_sample_is_one_article_without_signoff_or_source_line() -> None:
    path = shared_file(f"seed/{SAMPLE_NAME}")
    articles, report = read([path])
    assert len(articles) == 1
    check_sample(articles[0])
    assert articles[0].origin == str(path.resolve())
    assert (report.files, report.articles, report.skipped) == (1, 1, [])


def test_bundled_sample_reads_like_the_shared_one() -> None:
    [article], _ = read([BUNDLED_SAMPLE])
    check_sample(article)
    assert article.origin == str(BUNDLED_SAMPLE.resolve())
    shared = SHARED_CORPUS / "seed" / SAMPLE_NAME
    if shared.exists():
        [other], _ = read([shared])
        assert (article.title, article.text, article.date, article.source) == (
            other.title,
            other.text,
            other.date,
            other.source,
        )


# --- shared corpora ------------------------------------------------------------------------------


@pytest.mark.shared
def test_masakhanews_reads_every_article() -> None:
    articles, report = read([shared_file("masakhanews-fra.jsonl")])
    # 881 lines, 881 distinct texts: nothing is deduped or skipped.
    assert len(articles) == report.articles == 881
    assert (report.duplicates, report.skipped) == (0, [])
    assert len({a.id for a in articles}) == 881
    assert all(a.date is None for a in articles)  # MasakhaNEWS has no dates
    assert {a.source for a in articles} == {"BBC Afrique"}


@pytest.mark.shared
def test_orangesum_paragraphs_are_no_longer_run_together() -> None:
    path = shared_file("orangesum.jsonl.gz")
    articles = list(itertools.islice(read_corpus([path]), 500))
    # Two lowercase letters, a full stop and a capitalised word with no space: "jeudi.Le".
    # (A single letter or a short capitalised name before the stop, "AFP c.Des", "Thien Ho.Il",
    # is left alone on purpose: it is indistinguishable from an initial.)
    glued = re.compile(r"[a-zà-ÿ]{2}[.!?][\"»]?[A-ZÀ-Þ][a-zà-ÿ]")
    offenders = [(a.id, m.group()) for a in articles for m in glued.finditer(a.text)]
    assert len(articles) == 500
    assert offenders == []
    assert all("\n\n\n" not in a.text for a in articles)
    assert articles[0].date == "2020-07-02"
    assert articles[0].source == "actu.orange.fr"
    assert articles[0].text.startswith(
        "Cette décision a été annoncée à l'issue d'une réunion organisée avec les syndicats de la "
        "fonction publique hospitalière, dans la nuit de mercredi à jeudi.\n\nLe gouvernement"
    )


# --- JSON Lines: fields --------------------------------------------------------------------------


def test_common_field_names_are_mapped(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "feed.jsonl",
        [
            {
                "GUID": 17,
                "Headline": "  Un titre\nsur deux lignes ",
                "body": "Premier paragraphe.\r\n\r\nSecond.",
                "published_at": "2023-02-06T10:00:00Z",
                "link": "https://www.exemple.fr/a",
                "publisher": {"name": "AFP", "id": 3},
            },
            {"content": LONG, "pubdate": "6 février 2023", "href": "https://www.lemonde.fr/x"},
            {"maintext": "Autre texte.", "date_publish": "pas une date", "outlet": "RFI"},
        ],
    )
    first, second, third = read([path])[0]
    assert first == Article(
        id="17",
        title="Un titre sur deux lignes",
        text="Premier paragraphe.\n\nSecond.",
        date="2023-02-06",
        source="AFP",
        url="https://www.exemple.fr/a",
        origin=str(path.resolve()),
    )
    assert (second.id, second.date, second.source) == ("feed-2", "2023-02-06", "lemonde.fr")
    assert second.title == ""
    assert (third.id, third.date, third.source, third.url) == ("feed-3", None, "RFI", None)


def test_field_map_overrides_the_automatic_names(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "custom.jsonl",
        [{"Corps": "Le texte.", "titre": "Le titre", "text": "pas celui-ci", "quand": "2021-03"}],
    )
    [article], _ = read([path], field_map={"text": "corps", "title": "titre", "date": "quand"})
    assert (article.text, article.title, article.date) == ("Le texte.", "Le titre", "2021-03")


def test_field_map_field_missing_is_reported_with_the_mapped_name(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "custom.jsonl", [{"text": "ignoré"}])
    articles, report = read([path], field_map={"text": "corps"})
    assert articles == []
    assert reasons(report) == {f"{path.resolve()}:1": "missing text field (looked for: corps)"}


def test_unknown_field_map_target_is_refused(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "x"}])
    with pytest.raises(CorpusError, match="'txt'"):
        read_corpus([path], field_map={"txt": "corps"})


def test_json_file_holds_a_list_or_one_object(tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text(
        json.dumps([{"id": "a", "text": "Texte A."}, "pas un objet", {"text": "Texte B."}]), "utf-8"
    )
    (tmp_path / "one.json").write_text(json.dumps({"title": "Seul", "text": "Texte C."}), "utf-8")
    articles, report = read([tmp_path])
    assert [a.id for a in articles] == ["a", "list-3", "one-1"]
    assert reasons(report) == {
        f"{(tmp_path / 'list.json').resolve()}:2": "not a JSON object (got string)"
    }


# --- bad input is skipped and reported -----------------------------------------------------------


def test_broken_lines_are_skipped_and_named(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [
        json.dumps({"id": "ok1", "text": "Bon."}).encode(),
        b'{"id": "x" "text": "virgule manquante"}',
        b"",
        b"[1, 2]",
        json.dumps({"id": "t", "title": "Un titre seul ne suffit pas"}).encode(),
        json.dumps({"id": "e", "text": "   "}).encode(),
        json.dumps({"id": "n", "text": 42}).encode(),
        b'{"id": "latin1", "text": "caf\xe9"}',
        json.dumps({"id": "ok2", "text": "Bon aussi."}).encode(),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    articles, report = read([path])
    assert [a.id for a in articles] == ["ok1", "ok2"]
    where = str(path.resolve())
    assert reasons(report) == {
        f"{where}:2": "invalid JSON: Expecting ',' delimiter (col 12)",
        f"{where}:4": "not a JSON object (got array)",
        f"{where}:5": "missing text field (looked for: text, article, body, content, maintext, "
        "description)",
        f"{where}:6": "empty text field 'text'",
        f"{where}:7": "text field 'text' is not a string (got number)",
        f"{where}:8": "not UTF-8 (byte 0xe9 at offset 29)",
    }
    assert (report.files, report.articles) == (1, 2)


def test_whole_file_problems_are_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a-latin1.txt").write_bytes("Titre\n\nUn café.".encode("latin-1"))
    (tmp_path / "b-empty.jsonl").write_bytes(b"")
    (tmp_path / "c-blank.json").write_text(" \n\n", "utf-8")
    (tmp_path / "d-blank.txt").write_text("\n \n", "utf-8")
    (tmp_path / "e-broken.json").write_text('[{"text": "a"},', "utf-8")
    write_jsonl(tmp_path / "f-good.jsonl", [{"text": "Toujours lu."}])
    articles, report = read([tmp_path])
    assert [a.text for a in articles] == ["Toujours lu."]
    assert {Path(origin).name: reason for origin, reason in reasons(report).items()} == {
        "a-latin1.txt": "not UTF-8 (byte 0xe9 at offset 13)",
        "b-empty.jsonl": "empty file",
        "c-blank.json": "empty file",
        "d-blank.txt": "empty file",
        "e-broken.json": "invalid JSON: Expecting value (line 1 col 16)",
    }
    assert report.files == 6


def test_truncated_gzip_keeps_what_was_read(tmp_path: Path) -> None:
    records = [{"id": f"n{i}", "text": f"Article numéro {i}. " * 40} for i in range(300)]
    payload = "".join(json.dumps(r) + "\n" for r in records).encode()
    whole = gzip.compress(payload)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(whole[: len(whole) // 2])
    articles, report = read([path])
    assert 0 < len(articles) < 300
    assert [a.id for a in articles] == [f"n{i}" for i in range(len(articles))]
    [skip] = report.skipped
    assert skip.origin.startswith(str(path.resolve()))
    assert re.search(r"truncated gzip|invalid JSON", skip.reason)


def test_file_that_is_not_gzip_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "fake.jsonl.gz"
    path.write_bytes(b'{"text": "pas compresse"}\n')
    articles, report = read([path])
    assert articles == []
    assert reasons(report)[str(path.resolve())].startswith("corrupt gzip")


def test_gzip_lines_are_streamed_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"text": "Un."}) + "\n\nnot json\n" + json.dumps({"text": "Deux."}))
    articles, report = read([path])
    assert [a.id for a in articles] == ["feed-1", "feed-4"]
    assert list(reasons(report)) == [f"{path.resolve()}:3"]


# --- duplicates and ids --------------------------------------------------------------------------


def test_duplicates_are_dropped_and_id_clashes_renamed(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "dups.jsonl",
        [
            {"id": "a", "title": "T", "text": LONG},
            {"id": "a", "title": "T", "text": LONG},  # exact copy
            {"id": "b", "title": "Autre titre", "text": LONG},  # same story, new title
            {"id": "a", "title": "T", "text": "Autre chose."},  # same id, other content
            {"id": "a", "title": "T2", "text": "Encore autre chose."},
            {"id": "c", "title": "Vidéo 1", "text": "Vidéo."},  # short shared text: kept
            {"id": "d", "title": "Vidéo 2", "text": "Vidéo."},
            {"id": "e", "title": "Vidéo 2", "text": "Vidéo."},  # but not twice with one title
        ],
    )
    articles, report = read([path])
    assert [a.id for a in articles] == ["a", "a~2", "a~3", "c", "d"]
    assert report.duplicates == 3
    assert report.articles == 5


def test_same_file_named_twice_is_read_once(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "Un."}])
    articles, report = read([tmp_path, path])
    assert len(articles) == 1
    assert (report.files, report.duplicates) == (1, 0)


# --- text files ----------------------------------------------------------------------------------


def test_product_format_with_url_and_without_source_line(tmp_path: Path) -> None:
    (tmp_path / "avec-url.txt").write_bytes(
        b"date 2021-06-03 Un titre\r\n\r\nLe corps.\r\n\r\nReuters\r\n\r\n"
        b"SourceURL: https://www.rfi.fr/fr/afrique/x\r\n"
    )
    (tmp_path / "sans-source.txt").write_text(
        " date 2020 Autre titre\n\nLe corps.\n\nAFP\n", "utf-8"
    )
    (tmp_path / "court.txt").write_text(
        "date 2020-13 Titre\n\nPremier.\n\nDernier paragraphe court\n", "utf-8"
    )
    with_url, short_end, without_source = read([tmp_path])[0]
    assert (with_url.title, with_url.text, with_url.date) == ("Un titre", "Le corps.", "2021-06-03")
    assert (with_url.url, with_url.source) == ("https://www.rfi.fr/fr/afrique/x", "rfi.fr")
    assert (without_source.text, without_source.source, without_source.date) == (
        "Le corps.",
        "AFP",
        "2020",
    )
    # Without a SourceURL line only an all-caps line is taken for a sign-off.
    assert short_end.text == "Premier.\n\nDernier paragraphe court"
    assert (short_end.date, short_end.source) == (None, None)


def test_plain_text_and_markdown(tmp_path: Path) -> None:
    (tmp_path / "note.md").write_text("\n# Un titre *markdown*\n\nLe texte.\n", "utf-8")
    (tmp_path / "plain.txt").write_text("Première ligne\nLa suite.\n", "utf-8")
    (tmp_path / "seul.txt").write_text("Juste un titre\n", "utf-8")
    note, plain, alone = read([tmp_path])[0]
    assert (note.id, note.title, note.text) == ("note", "Un titre *markdown*", "Le texte.")
    assert (plain.title, plain.text, plain.date, plain.source) == (
        "Première ligne",
        "La suite.",
        None,
        None,
    )
    assert (alone.title, alone.text) == ("Juste un titre", "Juste un titre")


def test_folder_is_read_recursively_in_sorted_order(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".cache").mkdir()
    write_jsonl(root / "b.jsonl", [{"id": "jsonl-1", "text": "Un."}])
    (root / "a.txt").write_text("Titre A\nTexte A.", "utf-8")
    (root / "sub" / "c.md").write_text("# Titre C\nTexte C.", "utf-8")
    (root / "sub" / "deeper" / "d.json").write_text(json.dumps([{"text": "Texte D."}]), "utf-8")
    with gzip.open(root / "sub" / "e.JSONL.GZ", "wt", encoding="utf-8") as handle:
        handle.write(json.dumps({"id": "gz", "text": "Texte E."}) + "\n")
    (root / "notes.csv").write_text("ignored,silently\n", "utf-8")
    (root / ".hidden.txt").write_text("Caché\nNon lu.", "utf-8")
    (root / ".cache" / "x.txt").write_text("Caché\nNon lu.", "utf-8")
    articles, report = read([root])
    assert [a.id for a in articles] == ["a", "jsonl-1", "c", "d-1", "gz"]
    assert (report.files, report.articles, report.skipped) == (5, 5, [])
    assert articles[2].origin == str((root / "sub" / "c.md").resolve())


def test_clashing_text_file_stems_get_their_relative_path(tmp_path: Path) -> None:
    for folder, text in (("a", "Texte un."), ("b", "Texte deux.")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "depeche.txt").write_text(f"Titre\n{text}", "utf-8")
    articles, _ = read([tmp_path])
    assert [a.id for a in articles] == ["depeche", "b/depeche"]


# --- paths that cannot be read at all ------------------------------------------------------------


def test_explicit_unsupported_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "articles.csv"
    path.write_text("id,text\n1,x\n", "utf-8")
    with pytest.raises(CorpusError, match=r"articles\.csv is not a supported corpus file"):
        read_corpus([path])  # raised at the call, before any iteration


def test_missing_path_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nulle-part.jsonl"
    with pytest.raises(CorpusError, match=r"nulle-part\.jsonl does not exist"):
        read_corpus([write_jsonl(tmp_path / "ok.jsonl", [{"text": "x"}]), missing])


# --- size cap ------------------------------------------------------------------------------------


def test_article_above_the_size_cap_is_skipped_with_its_size(tmp_path: Path) -> None:
    """A dump given by mistake is one huge "article": it is skipped, named, and reading goes on."""
    dump = tmp_path / "a-dump.txt"
    dump.write_text("Titre\n" + "mot " * 3_000_000, "utf-8")  # one 12 MB line of body
    feed = write_jsonl(
        tmp_path / "b-feed.jsonl",
        [{"id": "big", "text": "x" * 5_001}, {"id": "small", "text": "y" * 5_000}],
    )
    articles, report = read([tmp_path], max_article_chars=5_000)
    assert [a.id for a in articles] == ["small"]
    assert reasons(report) == {
        str(dump.resolve()): "article text is 11,999,999 characters, above "
        "NEWSBOT_MAX_ARTICLE_CHARS=5000",
        f"{feed.resolve()}:1": "article text is 5,001 characters, above "
        "NEWSBOT_MAX_ARTICLE_CHARS=5000",
    }


def test_default_size_cap_keeps_long_news_and_drops_a_dump(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "feed.jsonl",
        [{"id": "long-read", "text": LONG * 300}, {"id": "dump", "text": LONG * 6_000}],
    )
    articles, report = read([tmp_path])
    assert [a.id for a in articles] == ["long-read"]  # ~100k characters: a long read, kept
    [skip] = report.skipped
    assert skip.reason.endswith("above NEWSBOT_MAX_ARTICLE_CHARS=300000")


# --- one walk for every caller -------------------------------------------------------------------


def test_walk_lists_exactly_the_files_read(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / ".hidden").mkdir()
    write_jsonl(root / "b.jsonl", [{"text": "Un."}])
    (root / "a.txt").write_text("Titre\nTexte A.", "utf-8")
    (root / "sub" / "c.md").write_text("# C\nTexte C.", "utf-8")
    (root / ".hidden" / "d.txt").write_text("D\nCaché.", "utf-8")
    (root / "notes.csv").write_text("x", "utf-8")
    files = list(iter_corpus_files([root, root / "b.jsonl"]))
    assert files == [root / "a.txt", root / "b.jsonl", root / "sub" / "c.md"]
    articles, _ = read([root, root / "b.jsonl"])
    assert [Path(a.origin) for a in articles] == [f.resolve() for f in files]


def test_walk_follows_linked_folders_once_and_survives_loops(tmp_path: Path) -> None:
    """Linked folders count (a corpus assembled from links is ordinary); loops end."""
    outside = tmp_path / "archive"
    outside.mkdir()
    (outside / "old.txt").write_text("Ancien\nTexte ancien.", "utf-8")
    root = tmp_path / "corpus"
    (root / "inner").mkdir(parents=True)
    (root / "inner" / "new.txt").write_text("Nouveau\nTexte nouveau.", "utf-8")
    (root / "archive-link").symlink_to(outside, target_is_directory=True)
    (root / "inner" / "loop").symlink_to(root, target_is_directory=True)  # a cycle
    (root / "twice").symlink_to(outside, target_is_directory=True)  # the same folder again
    (root / "gone.txt").symlink_to(tmp_path / "missing.txt")
    report = LoadReport()
    files = list(iter_corpus_files([root], report=report))
    assert files == [root / "archive-link" / "old.txt", root / "inner" / "new.txt"]
    assert reasons(report) == {str(root / "gone.txt"): "broken symbolic link"}
    articles, read_report = read([root])
    assert [a.title for a in articles] == ["Ancien", "Nouveau"]
    assert read_report.files == 2


def test_walk_refuses_what_read_corpus_refuses(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="does not exist"):
        iter_corpus_files([tmp_path / "absent"])
    (tmp_path / "x.csv").write_text("a", "utf-8")
    with pytest.raises(CorpusError, match="not a supported corpus file"):
        iter_corpus_files([tmp_path / "x.csv"])


def test_size_cap_setting_reaches_the_build(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hashing_embedder: HashingEmbedder
) -> None:
    """NEWSBOT_MAX_ARTICLE_CHARS → settings → BuildConfig → the build's skip report."""
    monkeypatch.setenv("NEWSBOT_MAX_ARTICLE_CHARS", "2000")
    feed = write_jsonl(
        tmp_path / "feed.jsonl",
        [{"id": "ok", "text": "Un article court."}, {"id": "dump", "text": "mot " * 1_000}],
    )
    config = make_build_config(load_settings())
    report = build_index(IndexStore(tmp_path / "index"), [feed], hashing_embedder, config)
    assert report.articles == 1
    assert [str(skip) for skip in report.skipped] == [
        f"{feed.resolve()}:2: article text is 3,999 characters, above "
        "NEWSBOT_MAX_ARTICLE_CHARS=2000"
    ]
    monkeypatch.setenv("NEWSBOT_MAX_ARTICLE_CHARS", "10")
    with pytest.raises(SettingsError, match="NEWSBOT_MAX_ARTICLE_CHARS"):
        load_settings()
