"""PHI over HTTP: ``POST /v1/deidentify`` and ``POST /v1/phi/detect``."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app

from ..config import Settings
from ..errors import Errors
from ..phi import PhiService
from ..schemas import DeidentifyRequest, DeidentifyResult, PhiDetectRequest, PhiDetectResult
from ..version import __version__
from .metrics import inference
from .openapi import operation
from .parsing import parse_json_body

bp = Blueprint("phi", __name__, url_prefix="/v1")
EXTENSION = "nlp_service.phi"


def init_app(app: Flask, settings: Settings) -> None:
    """Load the PHI service once for this process and attach it to the app."""
    from .. import phi_service

    app.extensions[EXTENSION] = phi_service(settings.phi)


def phi() -> PhiService:
    return current_app.extensions[EXTENSION]


@bp.post("/deidentify")
@operation("De-identify a text: redact, mask or replace PHI with surrogates, shift dates", DeidentifyResult, DeidentifyRequest, [Errors.TEXT_TOO_LONG, Errors.BINARY_TEXT, Errors.UNKNOWN_OPERATOR, Errors.UNKNOWN_PHI_TYPE], tag="deidentify")
def deidentify() -> Response:
    """De-identify one text: DeidentifyRequest in, DeidentifyResult (new text + replaced spans) out."""
    body = parse_json_body(DeidentifyRequest)
    with inference("deidentify"):
        result = phi().deidentify(body.text, body.operator, body.operators, body.patient_key, body.return_originals)
    return Response(result.model_dump_json(), mimetype="application/json")


@bp.post("/phi/detect")
@operation("Find PHI without changing the text", PhiDetectResult, PhiDetectRequest, [Errors.TEXT_TOO_LONG, Errors.BINARY_TEXT], tag="deidentify")
def detect() -> Response:
    """Find PHI without changing the text: PhiDetectRequest in, PhiDetectResult out."""
    body = parse_json_body(PhiDetectRequest)
    with inference("phi"):
        findings = phi().detect(body.text, body.return_originals)
    result = PhiDetectResult(text_length=len(body.text), findings=findings, version=__version__)
    return Response(result.model_dump_json(), mimetype="application/json")
