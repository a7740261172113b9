"""Triage over HTTP: ``POST /v1/triage``."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app

from ..config import Settings
from ..schemas import TriageRequest
from ..triage.service import TriageService
from .parsing import parse_json_body

bp = Blueprint("triage", __name__, url_prefix="/v1")
EXTENSION = "nlp_service.triage"


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = TriageService(settings.triage)


@bp.post("/triage")
def triage() -> Response:
    """TriageRequest in (``text``, optional ``model``, ``explain``), TriageResult out."""
    body = parse_json_body(TriageRequest)
    service: TriageService = current_app.extensions[EXTENSION]
    return Response(service.triage(body.text, body.model, body.explain).model_dump_json(), mimetype="application/json")
