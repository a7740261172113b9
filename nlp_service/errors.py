"""The error catalogue: every error the service reports, with a stable code and HTTP status.

Call sites raise ``Errors.TEXT_TOO_LONG.error(limit=..., length=...)``; the HTTP layer renders any
:class:`ServiceError` as RFC 9457 problem details, and the CLI prints ``[code] message``. Client faults
are 4xx; only unexpected faults are 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorSpec:
    """One catalogue entry: a stable code, an HTTP status, a title and a message template."""

    code: str
    status: int
    title: str
    template: str

    def error(self, *, errors: list[dict[str, Any]] | None = None, **params: Any) -> ServiceError:
        """Build the exception for this entry, formatting the template with ``params``."""
        return ServiceError(self, self.template.format(**params), errors or [])


@dataclass
class ServiceError(Exception):
    """An error from the catalogue. ``errors`` lists field-level problems ({"field", "message"})."""

    spec: ErrorSpec
    detail: str
    errors: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(str(self))

    @property
    def code(self) -> str:
        return self.spec.code

    @property
    def status(self) -> int:
        return self.spec.status

    def __str__(self) -> str:
        return f"[{self.spec.code}] {self.detail}"

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """RFC 9457 problem details, with the catalogue code and any field errors."""
        problem: dict[str, Any] = {
            "type": f"urn:nlp-service:error:{self.spec.code}",
            "title": self.spec.title,
            "status": self.spec.status,
            "detail": self.detail,
            "code": self.spec.code,
        }
        if instance:
            problem["instance"] = instance
        if self.errors:
            problem["errors"] = self.errors
        return problem


class Errors:
    """All error codes. Codes never change meaning; retired codes are not reused."""

    # E1xx: request shape
    INVALID_JSON = ErrorSpec("E100", 400, "Malformed JSON", "The request body is not valid JSON: {reason}.")
    INVALID_REQUEST = ErrorSpec("E101", 400, "Invalid request", "{summary}")
    UNSUPPORTED_MEDIA_TYPE = ErrorSpec(
        "E102", 415, "Unsupported media type",
        "Send the request as 'application/json' in UTF-8 (got {content_type!r}).",
    )
    NOT_UTF8 = ErrorSpec("E103", 400, "Invalid encoding", "The {what} is not valid UTF-8: {reason}.")
    TEXT_TOO_LONG = ErrorSpec(
        "E104", 413, "Text too long",
        "The text has {length} characters; the limit is {limit}. Split the document or raise "
        "max_text_chars in the settings.",
    )
    BODY_TOO_LARGE = ErrorSpec(
        "E105", 413, "Request too large", "The request body exceeds the limit of {limit} bytes."
    )
    BINARY_TEXT = ErrorSpec(
        "E106", 400, "Binary content",
        "The {what} looks binary (it contains NUL or other control bytes), not text.",
    )
    UNKNOWN_OPERATOR = ErrorSpec(
        "E108", 400, "Unknown operator", "Unknown de-identification operator {name!r}; choose one of: {choices}."
    )
    UNKNOWN_PHI_TYPE = ErrorSpec(
        "E109", 400, "Unknown PHI type", "Unknown PHI type {name!r} in 'operators'; types are: {choices}."
    )
    EMPTY_TEXT = ErrorSpec("E110", 400, "Empty text", "The {what} is empty (or only white space): there is nothing to process.")
    TOO_MANY_TERMS = ErrorSpec(
        "E107", 400, "Too many terms", "The request has {count} terms; the limit is {limit}."
    )
    EMPTY_QUERY = ErrorSpec("E111", 400, "Empty query", "The {what} is empty (or only white space): give text to search for.")
    K_OUT_OF_RANGE = ErrorSpec("E112", 400, "k out of range", "k must be an integer from 1 to {limit}; got {k!r}.")
    INVALID_FILTER = ErrorSpec("E113", 400, "Invalid filter", "Filter {key!r}: {reason}.")
    # E2xx: routing
    NOT_FOUND = ErrorSpec("E200", 404, "Not found", "No resource at {path}.")
    METHOD_NOT_ALLOWED = ErrorSpec(
        "E201", 405, "Method not allowed", "{method} is not allowed here; use {allowed}."
    )
    UNKNOWN_INDEX = ErrorSpec(
        "E202", 404, "Unknown index", "No index named {name!r}; existing: {available}. Build one with `nlp-service index build`."
    )
    UNKNOWN_RECORD = ErrorSpec("E203", 404, "Unknown record", "Index {index!r} has no record with id {id!r}.")
    UNKNOWN_KB = ErrorSpec(
        "E204", 404, "Unknown knowledge base", "No knowledge base named {name!r}; known: {available}. Import one with `nlp-service kb import`."
    )
    KB_NOT_BUILT = ErrorSpec(
        "E205", 409, "Knowledge base not built", "Knowledge base {name!r} has no index yet; build it with `nlp-service kb build {name}`."
    )
    # E3xx: configuration and resources
    INVALID_CONFIG = ErrorSpec("E300", 500, "Invalid configuration", "Invalid configuration:\n{problems}")
    UNKNOWN_COMPONENT = ErrorSpec(
        "E301", 500, "Unknown component", "Unknown {kind} {name!r}; registered: {available}."
    )
    RESOURCE_INVALID = ErrorSpec("E302", 500, "Invalid resource", "Resource {name} is invalid: {reason}")
    INDEX_CORRUPT = ErrorSpec(
        "E304", 500, "Index corrupt", "The index at {path} cannot be served: {reason}. Rebuild it with `nlp-service index build`."
    )
    MODEL_MISSING = ErrorSpec(
        "E303", 500, "Model missing", "No usable model in {path} (missing or from another version); build it with `{command}`."
    )
    # E4xx: local input (CLI, files)
    INPUT_NOT_FOUND = ErrorSpec("E400", 400, "Input not found", "No such file: {path}.")
    GOLD_INVALID = ErrorSpec("E401", 400, "Invalid gold data", "{path}: {reason}")
    INVALID_RECORDS = ErrorSpec("E403", 400, "No valid records", "{path}: none of its {count} lines is a valid record ({reason}).")
    INDEX_EXISTS = ErrorSpec("E404", 400, "Index exists", "An index named {name!r} exists; pass --replace to rebuild it, or use `nlp-service index add`.")
    INVALID_DATA = ErrorSpec("E405", 400, "Invalid training data", "{path}: {reason}.")
    UNKNOWN_MODEL = ErrorSpec("E406", 400, "Unknown model", "Unknown model {name!r}; choose one of: {choices}.")
    NOT_A_FILE = ErrorSpec("E402", 400, "Not a file", "{path} is a directory; give a file, or - for standard input.")
    # E5xx: server faults
    INTERNAL = ErrorSpec(
        "E500", 500, "Internal error",
        "An unexpected error occurred; it has been logged with request id {request_id}.",
    )
    NOT_READY = ErrorSpec("E501", 503, "Not ready", "The service is still loading its models.")
    PHI_DETECTION_FAILED = ErrorSpec(
        "E502", 500, "PHI detection failed",
        "PHI recognizer {recognizer} failed; no text was returned, so no PHI can leak.",
    )
    # E13x: FHIR R4 input (/fhir/r4, rendered as OperationOutcome; nlp_service/fhir)
    FHIR_INVALID = ErrorSpec("E130", 400, "Invalid FHIR resource", "{summary}")
    FHIR_NOT_SUPPORTED = ErrorSpec("E131", 400, "Unsupported FHIR input", "{summary}")
    FHIR_NO_TEXT = ErrorSpec("E132", 400, "No text attachment", "{summary}")
    FHIR_CONTENT_TYPE = ErrorSpec("E133", 400, "Unsupported attachment type", "{summary}")
    FHIR_BASE64 = ErrorSpec("E134", 400, "Invalid base64", "{where} is not valid base64: {reason}.")
    FHIR_MEDIA_TYPE = ErrorSpec(
        "E135", 415, "Unsupported media type",
        "Send FHIR JSON as 'application/fhir+json' (or 'application/json') in UTF-8 (got {content_type!r}).",
    )
    FHIR_INVALID_PARAMETER = ErrorSpec("E136", 400, "Invalid operation parameter", "{summary}")

    # access and limits (nlp_service/api/auth.py, nlp_service/api/limits.py, nlp_service/security)
    UNAUTHORISED = ErrorSpec(
        "E220", 401, "Authentication required",
        "This endpoint needs an API key: send 'Authorization: Bearer <token>' (or 'X-API-Key: <token>').",
    )
    INVALID_CREDENTIALS = ErrorSpec("E221", 401, "Invalid credentials", "The credentials were not accepted: {reason}.")
    FORBIDDEN = ErrorSpec(
        "E222", 403, "Insufficient scope", "This key may not call {endpoint}: it needs the {scope!r} scope (or 'admin')."
    )
    RATE_LIMITED = ErrorSpec(
        "E223", 429, "Too many requests", "Rate limit of {limit} exceeded for this key; retry in {retry_after} s."
    )
    TOO_MANY_ITEMS = ErrorSpec(
        "E120", 413, "Too many items",
        "{field!r} has {count} items; the limit is {limit} per request. Split the batch into smaller requests.",
    )
    UNKNOWN_API_KEY = ErrorSpec("E420", 400, "Unknown API key", "No API key has the id {key_id!r}; see `nlp-service keys list`.")
    UNKNOWN_SCOPE = ErrorSpec("E421", 400, "Unknown scope", "Unknown scope {name!r}; scopes are: {choices}.")
    AUDIT_FAILED = ErrorSpec(
        "E510", 503, "Audit log unavailable",
        "The request could not be recorded in the audit log, so its result was withheld (request id {request_id}).",
    )

    @classmethod
    def all(cls) -> list[ErrorSpec]:
        """Every catalogue entry, in code order."""
        specs = [v for v in vars(cls).values() if isinstance(v, ErrorSpec)]
        return sorted(specs, key=lambda s: s.code)
