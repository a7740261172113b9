"""Similar-record search over HTTP: ``POST /v1/search`` and ``GET /v1/indexes``.

Collections are built and changed with the CLI (``nlp-service index build|add|delete``); the HTTP
API reads them, and picks up changes made by another process on the next request.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, json

from ..config import Settings
from ..errors import Errors
from ..schemas import IndexInfo, IndexList, SearchRequest, SearchResult
from ..search.service import SearchService
from .metrics import inference
from .openapi import operation
from .parsing import parse_json_body

bp = Blueprint("search", __name__, url_prefix="/v1")
EXTENSION = "nlp_service.search"


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = SearchService(settings.search, settings.embeddings)


def service() -> SearchService:
    return current_app.extensions[EXTENSION]


@bp.post("/search")
@operation("Similar records: hybrid (dense + BM25), dense or lexical search of a collection", SearchResult, SearchRequest, [Errors.EMPTY_QUERY, Errors.K_OUT_OF_RANGE, Errors.INVALID_FILTER, Errors.UNKNOWN_INDEX, Errors.UNKNOWN_RECORD, Errors.INDEX_CORRUPT], tag="search")
def search() -> Response:
    """SearchRequest in (``index``, ``query`` or ``record_id``, ``k``, ``mode``, ``filters``), SearchResult out."""
    body = parse_json_body(SearchRequest)
    with inference("search"):
        result = service().search(body)
    return Response(result.model_dump_json(), mimetype="application/json")


@bp.get("/indexes")
@operation("The collections that can be searched", IndexList, tag="search")
def indexes() -> Response:
    """The collections that can be searched, with their sizes."""
    body = [info.model_dump() for info in service().list()]
    return Response(json.dumps({"indexes": body}), mimetype="application/json")


@bp.get("/indexes/<name>")
@operation("One collection: its size, fields and build", IndexInfo, errors=[Errors.UNKNOWN_INDEX], tag="search")
def index_info(name: str) -> Response:
    return Response(service().info(name).model_dump_json(), mimetype="application/json")
