"""Turn a raw HTTP request body into a validated schema object, or a precise 4xx error."""

from __future__ import annotations

import json
from typing import TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from ..errors import Errors

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


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    """json.loads hook: an object with a repeated key is ambiguous, so it is an error."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


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
    raw = request.get_data(cache=False)
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Errors.NOT_UTF8.error(what="request body", reason=f"invalid byte at position {exc.start}") from None
    try:
        data = json.loads(body, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise Errors.INVALID_JSON.error(reason=f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise Errors.INVALID_JSON.error(reason="it is nested too deeply") from None
    except _DuplicateKey as exc:
        raise Errors.INVALID_JSON.error(reason=f"the key {exc.args[0]!r} appears twice in one object") from None
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
