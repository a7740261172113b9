"""Record analysis over HTTP: ``POST /v1/records/analyze``."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app

from ..config import Settings
from ..errors import Errors
from ..records import RecordAnalyzer
from ..schemas import AnalyzeRequest, RecordAnalysis
from . import deid
from .metrics import inference
from .openapi import operation
from .parsing import parse_json_body

bp = Blueprint("records", __name__, url_prefix="/v1/records")
EXTENSION = "nlp_service.records"


def init_app(app: Flask, settings: Settings) -> None:
    """Load the record analyser once for this process and attach it to the app."""
    from .. import record_analyzer

    analyzer = record_analyzer(settings)
    analyzer.prepare()  # load the ICD-10-CM synonym index now, not on the first request
    app.extensions[EXTENSION] = analyzer


def analyzer() -> RecordAnalyzer:
    return current_app.extensions[EXTENSION]


@bp.post("/analyze")
@operation("Analyse a clinical note: sections, sentences, entities with assertions and cues, medication attributes, ICD-10-CM codes", RecordAnalysis, AnalyzeRequest, [Errors.TEXT_TOO_LONG, Errors.BINARY_TEXT, Errors.TOO_MANY_TERMS], tag="records")
def analyze() -> Response:
    """Analyse one note: ``{"text": ..., "terms": [{"text", "category"}]}`` in, RecordAnalysis out."""
    body = parse_json_body(AnalyzeRequest)
    with inference("records"):
        result = analyzer().analyze(body.text, body.terms)
    if body.include_phi:  # a blank note is a valid (empty) analysis, so it has no PHI either
        result.phi = deid.phi().detect(body.text) if body.text.strip() else []
    return Response(result.model_dump_json(), mimetype="application/json")
