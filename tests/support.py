"""Paths and helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "data" / "sample"
RANKING_DIR = REPO / "tests" / "fixtures" / "ranking"  # articles and questions for ranking
SHARED = REPO.parent / "shared"


def shared_path(*parts: str) -> Path:
    """A file under ../shared, or a skip that says why the test cannot run here."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared data sits beside the repo root (../shared)")
    return path


def write_articles(path: Path, articles: list[dict[str, str]]) -> Path:
    """A JSON Lines corpus file, one article a line."""
    path.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in articles) + "\n", "utf-8")
    return path


def article(n: int, text: str | None = None, **extra: str) -> dict[str, str]:
    """A small distinct French article numbered ``n`` (storage tests need many of them)."""
    body = text or (
        f"Article numéro {n}. Le conseil municipal de la ville {n} a voté le budget annuel. "
        f"Les élus ont débattu pendant {n + 2} heures avant le vote final."
    )
    return {"id": f"a{n}", "title": f"Titre {n}", "text": body, **extra}
