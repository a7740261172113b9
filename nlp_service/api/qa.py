"""Medical question answering over HTTP: ``POST /v1/qa`` and ``GET /v1/kbs``.

Knowledge bases are imported and built with the CLI (``nlp-service kb import|build``); the HTTP API
reads them and picks up a rebuilt KB on the next request.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, Response, current_app, json

from .. import record_analyzer
from ..config import Settings
from ..errors import Errors, ServiceError
from ..qa.service import QAService, entity_finder
from ..schemas import KBList, QARequest, QAResult
from .metrics import inference
from .openapi import operation
from .parsing import parse_json_body

bp = Blueprint("qa", __name__, url_prefix="/v1")
log = logging.getLogger("nlp_service.api")
EXTENSION = "nlp_service.qa"


def init_app(app: Flask, settings: Settings) -> None:
    service = app.extensions[EXTENSION] = QAService(settings.qa, settings.search, settings.embeddings,
                                                    entities=entity_finder(record_analyzer(settings)))
    try:  # open the default KB now (before gunicorn forks) when it is built; other KBs open on first use
        service.kb(settings.qa.default_kb)
    except ServiceError as exc:  # not imported or not built yet: /v1/qa says how (E204/E205)
        log.warning("default knowledge base not loaded", extra={"code": exc.code})


def service() -> QAService:
    return current_app.extensions[EXTENSION]


@bp.post("/qa")
@operation("Answer a consumer-health question from a trusted knowledge base, with sources", QAResult, QARequest, [Errors.EMPTY_TEXT, Errors.TEXT_TOO_LONG, Errors.K_OUT_OF_RANGE, Errors.UNKNOWN_KB, Errors.KB_NOT_BUILT], tag="qa")
def qa() -> Response:
    """QARequest in (``question``, ``k``, ``kb``), QAResult out: trusted answers with sources, or an abstention."""
    body = parse_json_body(QARequest)
    with inference("qa"):
        result = service().answer(body)
    return Response(result.model_dump_json(), mimetype="application/json")


@bp.get("/kbs")
@operation("The knowledge bases that can be asked", KBList, tag="qa")
def kbs() -> Response:
    """The knowledge bases that can be asked, with their sizes."""
    return Response(json.dumps({"kbs": [info.model_dump() for info in service().list()]}), mimetype="application/json")
