"""Triage over HTTP: ``POST /v1/triage``."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app

from ..config import Settings
from ..errors import Errors
from ..schemas import TriageRequest, TriageResult
from ..triage.service import TriageService
from .metrics import inference
from .openapi import operation
from .parsing import parse_json_body

bp = Blueprint("triage", __name__, url_prefix="/v1")
EXTENSION = "nlp_service.triage"


def init_app(app: Flask, settings: Settings) -> None:
    service = app.extensions[EXTENSION] = TriageService(settings.triage)
    service.prepare()  # load the cascade and safety models now (before gunicorn forks), not on the first request


@bp.post("/triage")
@operation("Urgency and destination of a patient message, with red flags and an explanation", TriageResult, TriageRequest, [Errors.TEXT_TOO_LONG, Errors.EMPTY_TEXT, Errors.BINARY_TEXT, Errors.UNKNOWN_MODEL], tag="triage")
def triage() -> Response:
    """TriageRequest in (``text``, optional ``model``, ``explain``), TriageResult out."""
    body = parse_json_body(TriageRequest)
    service: TriageService = current_app.extensions[EXTENSION]
    with inference("triage"):
        result = service.triage(body.text, body.model, body.explain)
    return Response(result.model_dump_json(), mimetype="application/json")
