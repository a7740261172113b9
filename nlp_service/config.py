"""Settings: package defaults, then an optional TOML file, then environment variables.

Every section forbids unknown keys, so a typo fails loudly with a readable ``[loc] msg`` line
instead of being ignored.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import Errors

ENV_PREFIX = "NLP_SERVICE__"
CONFIG_ENV = "NLP_SERVICE_CONFIG"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceSettings(_Section):
    """HTTP serving."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    max_body_bytes: int = Field(2_000_000, ge=1024)
    workers: int = Field(0, ge=0, le=64)
    threads: int = Field(2, ge=1, le=64)
    keepalive: int = Field(0, ge=0, le=300)
    log_level: str = Field("INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$")


class RecordsSettings(_Section):
    """Record analysis."""

    max_text_chars: int = Field(100_000, ge=1, le=5_000_000)
    max_terms: int = Field(200, ge=0, le=10_000)
    pipeline: tuple[str, ...]
    lexicons: tuple[str, ...]


class PhiSettings(_Section):
    """PHI detection and de-identification."""

    recognizers: tuple[str, ...]
    threshold: float = Field(0.5, ge=0.0, le=1.0)
    default_operator: str = "mask"
    max_text_chars: int = Field(100_000, ge=1, le=5_000_000)
    # the learned tagger's artifact directory (relative paths are under the project root)
    tagger_model: str = "models/phi_tagger"
    # keyed hashing, surrogates and date offsets use this secret; keep it out of config files
    secret: str = Field("", repr=False)
    secret_file: str = "var/phi_secret.key"


class EmbeddingSettings(_Section):
    """The shared sentence encoder (all-MiniLM-L6-v2)."""

    # auto: torch on CUDA (bf16/fp16), ONNX Runtime int8 on CPU; or torch, onnx-int8
    backend: str = Field("auto", pattern="^(auto|torch|onnx-int8|torch-int8)$")
    # built artifacts (the ONNX export, the ICD-10-CM synonym index); relative to the working directory
    cache_dir: str = "var/models"


class LinkingSettings(_Section):
    """ICD-10-CM linking of PROBLEM entities."""

    top_k: int = Field(5, ge=1, le=20)
    neighbours: int = Field(40, ge=1, le=500)
    # neighbours kept for a mention that matched a code's wording exactly (0: skip the embedding search)
    exact_neighbours: int = Field(10, ge=0, le=500)
    mode: str = Field("combined", pattern="^(combined|exact|embedding)$")


class SearchSettings(_Section):
    """Record collections: dense (hnswlib) + lexical (bm25s) indexes, fused by reciprocal rank."""

    data_dir: str = "var/indexes"
    exact_threshold: int = Field(20_000, ge=1)
    max_k: int = Field(100, ge=1, le=10_000)
    candidates: int = Field(100, ge=10, le=10_000)
    passage_chars: int = Field(600, ge=100, le=20_000)
    max_query_chars: int = Field(5_000, ge=10)
    max_record_chars: int = Field(1_000_000, ge=100)
    rrf_k: int = Field(60, ge=1)


class TriageSettings(_Section):
    """Triage of patient messages."""

    # artifacts as <models_dir>/<urgency|destination>/<model>/ (relative paths: under the project root)
    models_dir: str = "models/triage"
    cascade: tuple[str, ...] = ("nb", "head")
    cascade_threshold: float = Field(0.8, ge=0.0, le=1.0)
    # urgency is "emergency" whenever the mean P(emergency) of the safety models reaches this
    # (missed emergencies cost most); 1.0 turns this off. Both were chosen with
    # benchmarks/triage_threshold.py on the hand-written calibration split
    # (corpora/triage/calibration.jsonl), never on the test split
    safety_models: tuple[str, ...] = ("nb", "svm")
    emergency_threshold: float = Field(0.2, ge=0.0, le=1.0)
    red_flags: bool = True
    max_text_chars: int = Field(5_000, ge=10)


class QASettings(_Section):
    """Medical question answering over knowledge bases of trusted question-answer pairs."""

    data_dir: str = "var/kb"
    default_kb: str = "default"
    # the default KB is imported from this file and built by `nlp-service check` when missing
    default_kb_source: str = "corpora/kb/default.jsonl"
    max_k: int = Field(10, ge=1, le=100)
    max_question_chars: int = Field(5_000, ge=10)
    candidates: int = Field(50, ge=5, le=1_000)
    passage_chars: int = Field(600, ge=100, le=20_000)
    rrf_k: int = Field(60, ge=1)
    # the cross-encoder re-ranker (`nlp-service train-reranker`). Off by default: on the held-out
    # MedQuAD questions it did not beat ranking by question understanding (benchmarks/RESULTS.md,
    # qa_benchmark), and it scores the default KB's pairs too low to abstain on
    rerank: bool = False
    reranker: str = "models/qa/reranker"
    rerank_top: int = Field(20, ge=1, le=200)
    # the question-type classifier trained by `kb build` (a triage model name)
    qtype_model: str = "head"
    # with the re-ranker on: below this probability for the best pair, abstain and offer the nearest
    # topics (without it, the service abstains when the question names no topic of the KB)
    abstain_threshold: float = Field(0.3, ge=0.0, le=1.0)


class AuthSettings(_Section):
    """Access to the HTTP API: API keys, optional bearer JWTs, and the audit log (nlp_service/security)."""

    # false: every endpoint is open (requests are still audited, with no key id); for local experiments only
    enabled: bool = True
    # API keys (hashes only) and the append-only audit log; relative paths are under the working directory
    keys_db: str = "var/keys.sqlite3"
    audit_db: str = "var/audit.sqlite3"
    audit_sync: Literal["FULL", "NORMAL"] = "FULL"  # NORMAL: no fsync per record (a power cut may lose the last ones)
    # `nlp-service keys ensure-local` (run by `make run`) keeps the local admin key's token here (mode 600)
    local_key_file: str = "var/local_api_key"
    # reverse proxies in front whose X-Forwarded-For to trust for the client address (0: the socket peer)
    proxy_hops: int = Field(0, ge=0, le=5)
    # bearer JWTs from an OIDC issuer, checked offline: set issuer, audience and one key file to turn them on
    jwt_issuer: str = ""
    jwt_audience: str = ""
    jwt_jwks_file: str = ""
    jwt_public_key_file: str = ""
    jwt_algorithms: tuple[str, ...] = ("RS256", "ES256")
    jwt_leeway_s: int = Field(30, ge=0, le=300)

    @property
    def jwt_enabled(self) -> bool:
        return bool(self.jwt_issuer or self.jwt_audience or self.jwt_jwks_file or self.jwt_public_key_file)

    @model_validator(mode="after")
    def _jwt_complete(self) -> AuthSettings:
        if self.jwt_enabled and not (self.jwt_issuer and self.jwt_audience
                                     and bool(self.jwt_jwks_file) != bool(self.jwt_public_key_file)):
            raise ValueError("JWTs need jwt_issuer, jwt_audience and exactly one of jwt_jwks_file, jwt_public_key_file")
        asymmetric = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
        if not self.jwt_algorithms or not set(self.jwt_algorithms) <= asymmetric:
            raise ValueError(f"jwt_algorithms must be asymmetric ({', '.join(sorted(asymmetric))})")
        return self


class LimitsSettings(_Section):
    """Per-key rate limits and caps on what one request may ask for."""

    # per API key (or JWT subject), over all endpoints together, e.g. "600/minute" or "20/second;600/minute";
    # "" turns rate limiting off
    rate: str = "600/minute"
    # where the counters live: sqlite:///relative/path (shared by gunicorn workers on one machine),
    # redis://host:6379 and the other `limits` storages, or memory:// (per process)
    storage_uri: str = "sqlite:///var/ratelimit.sqlite3"
    # most items in any one JSON array or object of a request body (mentions, terms, filter values,
    # FHIR bundle entries, ...): 413 E120 past it; per-endpoint caps below override it
    max_batch_items: int = Field(1_000, ge=1, le=1_000_000)
    max_batch_items_by_endpoint: dict[str, int] = Field(default_factory=dict)
    # soft deadline: a request running longer is logged as an overrun, not stopped (nlp_service/api/request_log.py)
    request_deadline_s: float = Field(60.0, gt=0, le=3_600)

    @field_validator("rate")
    @classmethod
    def _rate_parses(cls, value: str) -> str:
        if value.strip():
            from limits import parse_many

            try:
                parse_many(value)
            except ValueError as exc:
                raise ValueError(f"not a rate limit such as '600/minute': {exc}") from None
        return value

    @field_validator("max_batch_items_by_endpoint")
    @classmethod
    def _caps_positive(cls, value: dict[str, int]) -> dict[str, int]:
        bad = [k for k, v in value.items() if v < 1]
        if bad:
            raise ValueError(f"caps must be at least 1: {', '.join(bad)}")
        return value


class Settings(_Section):
    """All settings."""

    service: ServiceSettings = ServiceSettings()
    records: RecordsSettings
    phi: PhiSettings
    embeddings: EmbeddingSettings = EmbeddingSettings()
    linking: LinkingSettings = LinkingSettings()
    search: SearchSettings = SearchSettings()
    triage: TriageSettings = TriageSettings()
    qa: QASettings = QASettings()
    auth: AuthSettings = AuthSettings()
    limits: LimitsSettings = LimitsSettings()


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Turn NLP_SERVICE__SECTION__KEY=value into nested dicts; values are JSON when they parse."""
    out: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX) :].split("__") if part]
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        if path:
            node[path[-1]] = value
    return out


def format_validation_error(exc: ValidationError) -> list[str]:
    """Readable ``[loc] msg`` lines for a pydantic validation error."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        lines.append(f"[{loc}] {err['msg']}")
    return lines


def load_settings(
    path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Load settings from the package defaults, a TOML file, the environment and ``overrides``.

    The file is ``path`` or, when that is None, the file named by ``NLP_SERVICE_CONFIG`` if set.

    Raises:
        ServiceError: E300 listing every invalid or unknown key.
    """
    environ = os.environ if environ is None else environ
    data = tomllib.loads(resources.files(__package__).joinpath("default_config.toml").read_text())
    path = path or environ.get(CONFIG_ENV)
    if path:
        try:
            data = _merge(data, tomllib.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise Errors.INVALID_CONFIG.error(problems=f"[{path}] {exc}") from exc
    data = _merge(data, _env_overrides(environ))
    if overrides:
        data = _merge(data, overrides)
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise Errors.INVALID_CONFIG.error(problems="\n".join(format_validation_error(exc))) from exc
