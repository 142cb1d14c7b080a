"""Settings: environment and .env in, one clear line naming the variable out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import load_settings
from index.errors import SettingsError


def test_environment_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (tmp_path / ".env").write_text(
        f"NEWSBOT_CORPUS_PATHS={corpus},{corpus}\nNEWSBOT_CHUNK_SIZE=80\nDISCORD_TOKEN=abc.def\n"
        "NEWSBOT_ADMIN_ROLE_IDS=[1, 2]\nNEWSBOT_JSONL_FIELD_MAP=text=corps,title=titre\n",
        "utf-8",
    )
    monkeypatch.setenv("NEWSBOT_CHUNK_SIZE", "90")  # the environment wins over .env
    settings = load_settings()
    assert settings.corpus_paths == [corpus, corpus]
    assert settings.chunk_size == 90
    assert settings.admin_role_ids == [1, 2]
    assert settings.jsonl_field_map == {"text": "corps", "title": "titre"}
    assert settings.token() == "abc.def"
    assert "abc.def" not in repr(settings) and "abc.def" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("NEWSBOT_CHUNK_SIZE", "-5", "NEWSBOT_CHUNK_SIZE"),
        ("NEWSBOT_CHUNK_OVERLAP", "500", "NEWSBOT_CHUNK_OVERLAP (500) must be smaller"),
        (
            "NEWSBOT_CORPUS_PATHS",
            "/no/such/corpus",
            "NEWSBOT_CORPUS_PATHS: /no/such/corpus does not exist",
        ),
        ("NEWSBOT_EMBEDDING_MODEL", "./no-model-here", "NEWSBOT_EMBEDDING_MODEL"),
        ("NEWSBOT_BATCH_SIZE", "many", "NEWSBOT_BATCH_SIZE"),
        ("NEWSBOT_JSONL_FIELD_MAP", "body=corps", "NEWSBOT_JSONL_FIELD_MAP: unknown target 'body'"),
    ],
)
def test_bad_values_fail_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_cli_reports_a_bad_setting_on_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_CHUNK_SIZE", "0")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "index", "stats"], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0
    assert done.stderr.startswith("error: invalid setting NEWSBOT_CHUNK_SIZE")


def test_unloadable_model_fails_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NEWSBOT_EMBEDDING_MODEL", "someone/not-on-this-machine")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (tmp_path / "a.txt").write_text("Titre\n\nUn texte.", "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "index", "build", str(tmp_path / "a.txt")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "NEWSBOT_EMBEDDING_MODEL" in done.stderr and "Traceback" not in done.stderr
