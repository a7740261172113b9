"""FHIR R4 over HTTP, under ``/fhir/r4``: ``POST /DocumentReference/$analyze`` and ``POST /$deidentify``.

Thin: read the body (``application/fhir+json`` or ``application/json``, UTF-8), call
:mod:`nlp_service.fhir.operations` with the analyser and PHI service that ``records.init_app`` and
``deid.init_app`` attached, answer ``application/fhir+json``.

Errors under ``/fhir/r4`` are OperationOutcome, with the catalogue status and code; the handlers
are registered on this blueprint only, so the rest of the app keeps problem+json. Routing errors
(an unknown path, a wrong method) happen before Flask knows the blueprint, so a catch-all route
(endpoint ``fhir.fallback``) answers them here as OperationOutcome too.

``$deidentify`` options are query parameters, as FHIR passes primitive operation parameters:
``operator`` (redact, mask, surrogate, hash, shift_dates; default from the settings) and
``operators`` (per PHI type, ``TYPE:operator`` separated by commas, e.g.
``operators=DATE:shift_dates,NAME:surrogate``). Parameters starting with ``_`` (``_format``,
``_pretty``) are ignored; any other parameter is an error.
"""

from __future__ import annotations

import logging
from typing import Any

from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue
from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..errors import Errors, ServiceError
from ..fhir import operations
from ..fhir.outcome import operation_outcome
from . import deid, records
from .metrics import inference
from .openapi import FHIR_JSON as FHIR_JSON_TYPE
from .openapi import FHIR_RESOURCE, operation
from .parsing import request_json

FHIR_ERRORS = (Errors.FHIR_INVALID, Errors.FHIR_NOT_SUPPORTED, Errors.FHIR_NO_TEXT, Errors.FHIR_CONTENT_TYPE, Errors.FHIR_BASE64,
               Errors.FHIR_MEDIA_TYPE, Errors.FHIR_INVALID_PARAMETER, Errors.NOT_UTF8, Errors.EMPTY_TEXT, Errors.TEXT_TOO_LONG)

log = logging.getLogger("nlp_service.api")
bp = Blueprint("fhir", __name__, url_prefix="/fhir/r4")
FHIR_JSON = "application/fhir+json"
_JSON_TYPES = {"application/json", "application/fhir+json", "application/json+fhir"}
_OPERATIONS = ("/DocumentReference/$analyze", "/$deidentify")


def fhir_response(resource: Any, status: int = 200) -> Response:
    return Response(resource.model_dump_json(), status=status, mimetype=FHIR_JSON)


def outcome_response(error: ServiceError) -> Response:
    return fhir_response(operation_outcome(error), error.status)


def _body() -> Any:
    """The request body as parsed JSON (E135 for another media type or charset; E100/E103 from load_json)."""
    mimetype = request.mimetype or ""
    charset = request.mimetype_params.get("charset", "utf-8").lower().replace("-", "")
    if (mimetype not in _JSON_TYPES and not mimetype.endswith("+json")) or charset != "utf8":
        raise Errors.FHIR_MEDIA_TYPE.error(content_type=request.content_type or "")
    return request_json()


def _parameters(allowed: tuple[str, ...]) -> dict[str, str]:
    """The operation's query parameters, each at most once; unknown names are E136."""
    out: dict[str, str] = {}
    for name in request.args:
        if name.startswith("_"):
            continue
        values = request.args.getlist(name)
        if name not in allowed:
            expected = ", ".join(allowed) or "none"
            raise Errors.FHIR_INVALID_PARAMETER.error(
                summary=f"Unknown parameter {name!r}; this operation takes: {expected}.",
                errors=[{"field": name, "message": "unknown parameter"}])
        if len(values) > 1:
            raise Errors.FHIR_INVALID_PARAMETER.error(
                summary=f"Parameter {name!r} is given {len(values)} times; give it once.",
                errors=[{"field": name, "message": "repeated"}])
        out[name] = values[0]
    return out


def parse_operators(value: str) -> dict[str, str]:
    """``"DATE:shift_dates,NAME:surrogate"`` -> ``{"DATE": "shift_dates", "NAME": "surrogate"}``.

    >>> parse_operators("date:shift_dates, NAME:surrogate")
    {'DATE': 'shift_dates', 'NAME': 'surrogate'}
    """
    out: dict[str, str] = {}
    for item in value.split(","):
        phi_type, sep, operator = item.strip().partition(":")
        if not sep or not phi_type.strip() or not operator.strip():
            raise Errors.FHIR_INVALID_PARAMETER.error(
                summary="Parameter 'operators' must be TYPE:operator pairs separated by commas, "
                        "e.g. DATE:shift_dates,NAME:surrogate.",
                errors=[{"field": "operators", "message": "must be TYPE:operator pairs"}])
        out[phi_type.strip().upper()] = operator.strip()
    return out


@bp.post("/DocumentReference/$analyze")
@operation("Analyse the text attachments of a DocumentReference, or a Bundle of them: Conditions, FamilyMemberHistory, "
           "MedicationStatements, Observations, Procedures and a Provenance, in a collection Bundle",
           FHIR_RESOURCE, FHIR_RESOURCE, FHIR_ERRORS, tag="fhir", media_type=FHIR_JSON_TYPE)
def analyze() -> Response:
    """A DocumentReference, or a Bundle of them, in; a collection Bundle of derived resources out."""
    _parameters(())
    body = _body()
    with inference("fhir_analyze"):
        bundle = operations.analyze(body, records.analyzer())
    return fhir_response(bundle)


@bp.post("/$deidentify")
@operation("De-identify the text attachment of a DocumentReference; identifying elements are dropped",
           FHIR_RESOURCE, FHIR_RESOURCE, FHIR_ERRORS, tag="fhir", media_type=FHIR_JSON_TYPE, parameters=[
               {"name": "operator", "in": "query", "required": False, "schema": {"type": "string",
                "enum": ["redact", "mask", "surrogate", "hash", "shift_dates"]}},
               {"name": "operators", "in": "query", "required": False, "schema": {"type": "string"},
                "description": "per PHI type, TYPE:operator separated by commas (e.g. DATE:shift_dates,NAME:surrogate)"}])
def deidentify() -> Response:
    """A DocumentReference in; the same document with its text de-identified out."""
    params = _parameters(("operator", "operators"))
    operators = parse_operators(params["operators"]) if "operators" in params else None
    body = _body()
    with inference("fhir_deidentify"):
        resource = operations.deidentify(body, deid.phi(), params.get("operator"), operators)
    return fhir_response(resource)


_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@bp.route("/", defaults={"path": ""}, methods=_METHODS)
@bp.route("/<path:path>", methods=_METHODS)
def fallback(path: str) -> Response:
    """Anything else under /fhir/r4: 405 for an operation called with another method, else 404."""
    if f"/{path}" in _OPERATIONS:
        response = outcome_response(Errors.METHOD_NOT_ALLOWED.error(method=request.method, allowed="POST"))
        response.headers["Allow"] = "POST"
        return response
    return outcome_response(Errors.NOT_FOUND.error(path=request.path))


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> Response:
    return outcome_response(exc)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge) -> Response:
    return outcome_response(Errors.BODY_TOO_LARGE.error(limit=current_app.config["MAX_CONTENT_LENGTH"]))


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Response:
    status = exc.code or 500
    issue = OperationOutcomeIssue(severity="error" if status < 500 else "fatal",
                                  code="invalid" if status < 500 else "exception",
                                  diagnostics=f"{exc.name}: {exc.description}")
    return fhir_response(OperationOutcome(issue=[issue]), status)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    request_id = getattr(g, "request_id", "-")
    # the exception type and traceback only: messages may quote the note
    log.error("unhandled error", extra={"request_id": request_id}, exc_info=(type(exc), None, exc.__traceback__))
    return outcome_response(Errors.INTERNAL.error(request_id=request_id))
