"""The light question encoder (ONNX Runtime + tokenizers) against the build's encoder."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.embedding import SentenceTransformerEmbedder, default_model_path
from index.onnx_encoder import (
    OnnxEmbedder,
    OnnxUnavailableError,
    cache_entry,
    load_onnx_embedder,
    onnx_support,
    question_embedder,
)

from .support import REPO, SAMPLE_DIR, shared_path

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"


@pytest.fixture(scope="session")
def onnx_cache(model_cache_dir: Path) -> Path:
    """The session's model cache with the real model exported (seconds, once: imports torch)."""
    load_onnx_embedder("", cache_dir=model_cache_dir, warm=False)
    return model_cache_dir


@pytest.fixture(scope="session")
def onnx_embedder(onnx_cache: Path) -> OnnxEmbedder:
    return load_onnx_embedder("", cache_dir=onnx_cache)


def _dev_questions(count: int) -> list[str]:
    lines = shared_path("eval", "xling-dev", "questions.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[:count]]


def test_light_path_question_vectors_equal_the_build_encoders(
    onnx_embedder: OnnxEmbedder,
) -> None:
    """Cosine ≥ 0.9999 to sentence-transformers in float32 on real dev questions (EN and FR)."""
    questions = _dev_questions(40)
    build = SentenceTransformerEmbedder(precision="float32")
    light = onnx_embedder.encode(questions)
    cosines = (light * build.encode(questions)).sum(axis=1)
    assert cosines.min() >= 0.9999
    assert np.allclose(np.linalg.norm(light, axis=1), 1.0, atol=1e-5)
    # The chunker's token counts must not change with the encoder (no truncation there).
    texts = [" ".join(questions) * 3, *questions]
    assert onnx_embedder.count_tokens(texts) == build.count_tokens(texts)
    assert onnx_embedder.count_tokens(texts)[0] > (onnx_embedder.max_tokens or 0)


def test_texts_longer_than_the_window_are_truncated_like_the_build(
    onnx_embedder: OnnxEmbedder, real_embedder: SentenceTransformerEmbedder
) -> None:
    text = (SAMPLE_DIR / "mali-russie-lavrov-2023-02.txt").read_text("utf-8")
    light = onnx_embedder.encode([text, "Bamako"], batch_size=2)
    build = SentenceTransformerEmbedder(precision="float32").encode([text, "Bamako"])
    assert (light * build).sum(axis=1).min() >= 0.9999


def test_export_is_reused_and_a_changed_model_gets_its_own(
    onnx_cache: Path, tmp_path: Path
) -> None:
    folder = default_model_path()
    entry = cache_entry(onnx_cache, MODEL_ID, folder)
    before = (entry / "model.onnx").stat().st_mtime_ns
    load_onnx_embedder("", cache_dir=onnx_cache, warm=False)
    assert (entry / "model.onnx").stat().st_mtime_ns == before
    copy = _model_copy(tmp_path / "copy")
    (copy / "config_sentence_transformers.json").write_text("{}", "utf-8")
    assert cache_entry(onnx_cache, MODEL_ID, copy) != entry


def _model_copy(target: Path) -> Path:
    """The shipped model folder with its files linked, so a test can change one of them."""
    source = default_model_path()
    for path in source.rglob("*"):
        if path.is_file():
            link = target / path.relative_to(source)
            link.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix == ".json":
                link.write_bytes(path.read_bytes())
            else:
                link.symlink_to(path)
    return target


def test_a_model_the_light_path_cannot_reproduce_falls_back_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = _model_copy(tmp_path / "cls-model")
    pooling = model / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text("utf-8"))
    config.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(config), "utf-8")
    with pytest.raises(OnnxUnavailableError, match="mean pooling"):
        onnx_support(model)
    fallback = HashingFallback()
    with caplog.at_level(logging.WARNING, logger="index.onnx_encoder"):
        chosen = question_embedder(
            str(model), cache_dir=tmp_path / "cache", threads=1, fallback=fallback
        )
    assert chosen is fallback.made
    assert "sentence-transformers" in caplog.text and "pooling" in caplog.text
    assert not (tmp_path / "cache").exists()


class HashingFallback:
    """Stands for the sentence-transformers fallback (which would load torch for seconds)."""

    def __init__(self) -> None:
        from index.embedding import HashingEmbedder

        self.made = HashingEmbedder()

    def __call__(self) -> object:
        return self.made


@pytest.mark.slow
def test_cold_ask_never_imports_torch(
    sample_index_dir: Path, onnx_cache: Path, tmp_path: Path
) -> None:
    """`newsbot ask --json` in a fresh process answers without torch, transformers or scipy."""
    script = (
        "import json, sys\n"
        "from bot.cli import main\n"
        "try:\n"
        "    main(['ask', 'Who was expelled from Mali?', '--json'])\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'sentence_transformers',"
        " 'bm25s', 'scipy') if m in sys.modules)\n"
        "print(json.dumps(heavy))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env.update(
        NEWSBOT_INDEX_DIR=str(sample_index_dir),
        NEWSBOT_MODEL_CACHE_DIR=str(onnx_cache),
        PYTHONPATH=str(REPO),
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    answer_line, heavy_line = done.stdout.strip().splitlines()[-2:]
    assert json.loads(answer_line)["citations"]
    assert json.loads(heavy_line) == []


def test_the_uncompressed_language_model_copy_ranks_languages_identically(
    tmp_path: Path,
) -> None:
    """The copy kept in the model cache (a faster start) is the shipped model, unchanged."""
    import index.language as language

    texts = [
        "Quelle équipe a représenté l'AFC au Super Bowl 50 ?",
        "Who invited Lavrov to Bamako?",
        "¿Quién ganó el partido de ayer en Madrid?",
    ]
    language._full_identifier.cache_clear()
    language._identifier.cache_clear()
    shipped = [language._full_identifier().rank(text) for text in texts]
    try:
        language.use_model_cache(tmp_path)
        language._full_identifier.cache_clear()
        language._full_identifier()  # the first load writes the copy
        assert (tmp_path / "py3langid" / "done").is_file()
        language._full_identifier.cache_clear()
        language._identifier.cache_clear()
        assert [language._full_identifier().rank(text) for text in texts] == shipped
        assert [language.detect_language(t) for t in texts] == ["fr", "en", "es"]
    finally:
        language._model_cache.clear()
        language._full_identifier.cache_clear()
        language._identifier.cache_clear()


def _news_articles(count: int) -> list[str]:
    lines = shared_path("corpus", "masakhanews-fra.jsonl").read_text("utf-8").splitlines()
    return [f"{a['title']}\n{a['text']}" for a in map(json.loads, lines[:count])]


def test_the_int8_graph_keeps_the_float_vectors_of_real_news(onnx_cache: Path) -> None:
    """Smoothed 7-bit int8 against float32 on 64 news articles: the plain dynamic int8 graph
    that came before it gave mean cosine 0.9957 (min 0.993) here and cost recall; this one 0.998."""
    texts = _news_articles(64)
    full = load_onnx_embedder("", cache_dir=onnx_cache).encode(texts)
    int8 = load_onnx_embedder("", cache_dir=onnx_cache, precision="int8")
    cosines = (int8.encode(texts) * full).sum(axis=1)
    assert cosines.mean() >= 0.997
    assert cosines.min() >= 0.995


def test_smoothing_moves_scale_between_inputs_and_weights_without_changing_the_result(
    onnx_cache: Path,
) -> None:
    """SmoothQuant's rewrite alone (before any rounding) gives the float graph's vectors."""
    import onnx
    import onnxruntime as ort

    from index.onnx_encoder import calibration_batches
    from index.onnx_int8 import calibrate, smooth, weight_products

    entry = next(p for p in onnx_cache.iterdir() if (p / "model.onnx").is_file())
    model = onnx.load(str(entry / "model.onnx"))
    batches = calibration_batches(entry, default_model_path())
    tensors = sorted({n.input[0] for n in weight_products(model)})
    maxima = calibrate(model, tensors, batches)
    assert all(m.shape == (384,) or m.shape == (1536,) for m in maxima.values())

    def states(graph: onnx.ModelProto) -> np.ndarray:
        session = ort.InferenceSession(
            graph.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        return np.asarray(session.run(None, batches[0][0])[0])

    before = states(model)
    smooth(model, maxima, 0.5)
    after = states(model)
    divisions = [n for n in model.graph.node if n.output[0].endswith("/smoothed")]
    assert len(divisions) == 24  # one per product input: 4 a layer (query, key, value share one)
    assert np.allclose(after, before, atol=2e-4)


def test_an_int8_index_is_built_and_queried_with_the_same_8_bit_graph(
    onnx_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.runtime import make_answer_service, make_build_config, make_embedder
    from bot.settings import load_settings
    from index.builder import build_index
    from index.store import IndexStore

    monkeypatch.setenv("NEWSBOT_EMBEDDING_PRECISION", "int8")
    settings = load_settings(index_dir=tmp_path / "int8-index")
    builder = make_embedder(settings)
    assert builder.precision == "int8"
    store = IndexStore(settings.index_dir)
    build_index(store, [SAMPLE_DIR], builder, make_build_config(settings))
    assert store.open().manifest.precision == "int8"
    service = make_answer_service(settings)
    assert service.embedder.precision == "int8"
    answer = service.answer("Who did Lavrov meet in Bamako?")
    assert answer.citations
    questions = _dev_questions(40)
    full = load_onnx_embedder("", cache_dir=onnx_cache).encode(questions)
    assert (builder.encode(questions) * full).sum(axis=1).mean() >= 0.99
