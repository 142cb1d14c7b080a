"""NEWSBOT_EMBEDDING_GRAPH=fused (what auto picks in bfloat16): a build embeds through a traced
graph that oneDNN fuses, and gets the vectors the model's own encode gives, in the caller's
order, padding or not."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import torch
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

from bot.runtime import make_embedder
from bot.settings import Settings, load_settings
from index import embedding, fused_encoder
from index.embedding import SentenceTransformerEmbedder, default_model_path
from index.errors import SettingsError

from .support import RANKING_DIR


def _chunk_texts() -> list[str]:
    """Real passages of very different lengths: titles alone up to whole articles (cut at the
    model's 256 tokens), so batches need padding and meet several graph shapes."""
    texts: list[str] = []
    with (RANKING_DIR / "articles.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            texts += [article["title"], f"{article['title']}\n{article['text']}"]
    return texts


def _eager_vectors(embedder: SentenceTransformerEmbedder, texts: list[str]) -> np.ndarray:
    vectors = np.vstack([embedder.encode([text]) for text in texts])  # one text: always eager
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def fused_embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(graph="fused")


def test_fused_vectors_are_the_models_own_in_the_callers_order(
    fused_embedder: SentenceTransformerEmbedder,
) -> None:
    texts = _chunk_texts()
    assert fused_embedder.graph == "fused"
    fused = fused_embedder.encode(texts, batch_size=8)
    eager = _eager_vectors(fused_embedder, texts)
    cosines = np.sum(fused * eager, axis=1)
    assert cosines.min() >= 0.9995, f"text {int(cosines.argmin())} moved"
    np.testing.assert_allclose(np.linalg.norm(fused, axis=1), 1.0, atol=1e-5)
    # and each vector is its own text's: nearest eager vector of every fused one is its row
    assert (np.argmax(fused @ eager.T, axis=1) == np.arange(len(texts))).mean() > 0.95
    assert fused_embedder._fused is not None and fused_embedder._fused._direct is not None


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
def test_either_attention_kernel_gives_the_models_vectors_and_leaves_questions_alone(
    attention: fused_encoder.Attention, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The graph traces PyTorch's flash kernel (AMX) or the model's plain attention, which oneDNN
    fuses (other CPUs): both must give the model's vectors, and tracing must not change how a
    question (one text, eager) is embedded afterwards."""
    monkeypatch.setattr(embedding, "traced_attention", lambda: attention)
    embedder = SentenceTransformerEmbedder(graph="fused")
    texts = _chunk_texts()[:24]
    question_before = embedder.encode([texts[0]])
    fused = embedder.encode(texts, batch_size=8)
    assert embedder.graph == "fused"
    cosines = np.sum(fused * _eager_vectors(embedder, texts), axis=1)
    assert cosines.min() >= 0.9995, f"text {int(cosines.argmin())} moved"
    np.testing.assert_array_equal(embedder.encode([texts[0]]), question_before)


def test_the_graph_keeps_the_flash_kernel_only_where_amx_runs_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(embedding, "_cpu_flags", lambda: "flags : avx512f avx512_bf16 amx_bf16")
    assert embedding.traced_attention() == "sdpa"
    monkeypatch.setattr(embedding, "_cpu_flags", lambda: "flags : avx512f avx512_bf16")
    assert embedding.traced_attention() == "eager"


def test_a_graph_first_traced_without_padding_still_masks_padding_later() -> None:
    """The first batch a graph meets may need no padding at all; later padded batches must
    still ignore their pad tokens."""
    embedder = SentenceTransformerEmbedder(graph="fused")
    texts = _chunk_texts()
    same_length = [texts[1]] * 16  # one text repeated: a batch with nothing to pad
    embedder.encode(same_length, batch_size=16)
    mixed = texts[:32]  # titles beside whole articles: mostly padding in the short rows
    fused = embedder.encode(mixed, batch_size=32)
    cosines = np.sum(fused * _eager_vectors(embedder, mixed), axis=1)
    assert cosines.min() >= 0.9995


def test_a_graph_that_disagrees_with_the_model_is_dropped_for_eager(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    embedder = SentenceTransformerEmbedder(graph="fused")
    texts = _chunk_texts()[:20]
    monkeypatch.setattr(fused_encoder, "MIN_AGREEMENT", 1.01)  # no graph can pass this check
    with caplog.at_level(logging.WARNING, logger="index.embedding"):
        vectors = embedder.encode(texts)
    assert "fused graph unusable, embedding eagerly" in caplog.text
    assert "min cosine" in caplog.text
    assert embedder.graph == "eager"  # what the embedder reports is what it now does
    eager = _eager_vectors(embedder, texts)
    assert np.sum(vectors * eager / np.linalg.norm(vectors, axis=1)[:, None], axis=1).min() > 0.999
    caplog.clear()
    embedder.encode(texts)  # eager from now on, without a second attempt
    assert "fused graph" not in caplog.text


def test_models_without_mean_pooling_and_the_eager_setting_stay_eager() -> None:
    path = str(default_model_path())
    transformer = Transformer(path)
    cls_pooled = SentenceTransformer(
        modules=[transformer, Pooling(transformer.get_embedding_dimension(), "cls")]
    )
    assert not fused_encoder.fusable(cls_pooled)
    assert fused_encoder.fusable(SentenceTransformer(path))
    assert SentenceTransformerEmbedder(graph="eager").graph == "eager"


def test_auto_fuses_exactly_the_models_that_compute_in_bfloat16() -> None:
    """Fusing pays in bfloat16 (AMX, AVX512-BF16); in float32 it measured no faster, so the
    default graph follows the precision the CPU gets."""
    for precision in ("float32", "bfloat16"):
        embedder = SentenceTransformerEmbedder(precision=precision, graph="auto")
        expected = "fused" if precision == "bfloat16" else "eager"
        assert (embedder.precision, embedder.graph) == (precision, expected)
        assert embedder.recipe.graph == expected  # build workers resolve it the same way
    assert Settings.model_fields["embedding_graph"].default == "auto"


def test_the_setting_reaches_the_embedder_and_rejects_unknown_values(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSBOT_EMBEDDING_GRAPH", "eager")
    embedder = make_embedder(load_settings())
    assert isinstance(embedder, SentenceTransformerEmbedder) and embedder.graph == "eager"
    assert embedder.recipe.graph == "eager"  # build workers embed the same way
    monkeypatch.setenv("NEWSBOT_EMBEDDING_GRAPH", "compiled")
    with pytest.raises(SettingsError, match="NEWSBOT_EMBEDDING_GRAPH"):
        load_settings()


def test_texts_are_tokenized_as_the_model_does_and_a_tokenizer_that_differs_is_not_used(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Builds tokenize with the model's fast tokenizer called directly (half the time of
    sentence-transformers' preprocess); its tensors must be the model's own, long texts cut at
    the same 256 tokens. A tokenizer that differs is caught on the first call and not used."""
    model = SentenceTransformer(str(default_model_path()), device="cpu")
    texts = _chunk_texts()
    texts.append(" ".join(texts[1::2]))  # several articles: far over the model's window
    direct = fused_encoder._DirectTokenizer.of(model, model.tokenizer.pad_token_id)
    assert direct is not None
    mine, own = direct(texts), model.preprocess(texts)
    for name in ("input_ids", "attention_mask", "token_type_ids"):
        assert torch.equal(mine[name], own[name]), name
    assert int(own["attention_mask"].sum(dim=1)[-1]) == model.max_seq_length  # cut there

    encoder = fused_encoder.FusedEncoder(model, attention="eager")
    assert encoder._direct is not None
    encoder._direct._tokenizer.enable_truncation(max_length=16)  # now cuts texts short
    with caplog.at_level(logging.INFO, logger="index.fused_encoder"):
        fused = encoder.encode(texts[:24], batch_size=8)
    assert "differs from the model's: not used" in caplog.text
    assert encoder._direct is None
    eager = model.encode(texts[:24], normalize_embeddings=True)
    assert np.sum(fused * eager, axis=1).min() >= 0.9995
