"""Turn a raw HTTP request body into a validated schema object, or a precise 4xx error."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import g, request
from pydantic import BaseModel, ValidationError

from ..errors import Errors
from ..validation import load_json

M = TypeVar("M", bound=BaseModel)


def _field_errors(exc: ValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(body)"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        out.append({"field": field, "message": message})
    return out


def request_json() -> Any:
    """The request body as JSON, parsed once per request: ``limits`` has parsed it when it checked the
    batch caps; otherwise it is parsed here (E103 not UTF-8; E100 not JSON, a repeated key, too deep)."""
    if "json_body" in g:
        return g.json_body
    return load_json(request.get_data(cache=False))


def parse_json_body(model: type[M]) -> M:
    """Parse the request body as JSON into ``model``.

    Raises:
        ServiceError: 415 (not JSON), 400 (not UTF-8, malformed JSON, not an object, schema errors
            naming each field).
    """
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise Errors.UNSUPPORTED_MEDIA_TYPE.error(content_type=request.content_type or "")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset.replace("-", "") != "utf8":
        raise Errors.UNSUPPORTED_MEDIA_TYPE.error(content_type=request.content_type or "")
    data = request_json()
    if not isinstance(data, dict):
        raise Errors.INVALID_REQUEST.error(
            summary=f"The body must be a JSON object, not {type(data).__name__}.",
            errors=[{"field": "(body)", "message": "must be an object"}],
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = _field_errors(exc)
        fields = ", ".join(sorted({e["field"] for e in errors}))
        raise Errors.INVALID_REQUEST.error(summary=f"Invalid field(s): {fields}.", errors=errors) from None
