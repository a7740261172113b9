"""Input checks shared by every service: a note must be text, within the size limit, not binary."""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import Errors

# C0 control characters other than tab, newline, vertical tab, form feed and carriage return
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f]")
# a lone UTF-16 surrogate ("\ud800" in JSON) is not a character: it cannot be encoded or stored
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def check_text(text: Any, limit: int, field: str = "text", allow_empty: bool = True) -> str:
    """Validate one note.

    Raises:
        ServiceError: E101 (not a string), E104 (over ``limit`` characters, 413), E106 (binary),
            E103 (lone surrogates), E110 (empty or blank, unless ``allow_empty``).
    """
    if not isinstance(text, str):
        raise Errors.INVALID_REQUEST.error(
            summary=f"'{field}' must be a string, not {type(text).__name__}.",
            errors=[{"field": field, "message": "must be a string"}],
        )
    if not allow_empty and not text.strip():
        raise Errors.EMPTY_TEXT.error(what=field)
    if len(text) > limit:
        raise Errors.TEXT_TOO_LONG.error(length=len(text), limit=limit)
    if _BINARY.search(text):
        raise Errors.BINARY_TEXT.error(what=field)
    surrogate = _SURROGATE.search(text)
    if surrogate:
        raise Errors.NOT_UTF8.error(
            what=field, reason=f"lone surrogate U+{ord(surrogate.group()):04X} at offset {surrogate.start()}"
        )
    return text


def load_json(raw: bytes) -> Any:
    """Decode a request body as UTF-8 JSON; an object with a repeated key is an error (ambiguous).

    Raises:
        ServiceError: E103 (not UTF-8), E100 (not JSON, a duplicate key, nested too deeply).
    """
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Errors.NOT_UTF8.error(what="request body", reason=f"invalid byte at position {exc.start}") from None
    try:
        return json.loads(body, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise Errors.INVALID_JSON.error(reason=f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise Errors.INVALID_JSON.error(reason="it is nested too deeply") from None
    except _DuplicateKey as exc:
        raise Errors.INVALID_JSON.error(reason=f"the key {exc.args[0]!r} appears twice in one object") from None


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out
