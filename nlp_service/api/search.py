"""Similar-record search over HTTP: ``POST /v1/search`` and ``GET /v1/indexes``.

Collections are built and changed with the CLI (``nlp-service index build|add|delete``); the HTTP
API reads them, and picks up changes made by another process on the next request.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, json

from ..config import Settings
from ..schemas import SearchRequest
from ..search.service import SearchService
from .parsing import parse_json_body

bp = Blueprint("search", __name__, url_prefix="/v1")
EXTENSION = "nlp_service.search"


def init_app(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = SearchService(settings.search, settings.embeddings)


def service() -> SearchService:
    return current_app.extensions[EXTENSION]


@bp.post("/search")
def search() -> Response:
    """SearchRequest in (``index``, ``query`` or ``record_id``, ``k``, ``mode``, ``filters``), SearchResult out."""
    body = parse_json_body(SearchRequest)
    return Response(service().search(body).model_dump_json(), mimetype="application/json")


@bp.get("/indexes")
def indexes() -> Response:
    """The collections that can be searched, with their sizes."""
    body = [info.model_dump() for info in service().list()]
    return Response(json.dumps({"indexes": body}), mimetype="application/json")


@bp.get("/indexes/<name>")
def index_info(name: str) -> Response:
    return Response(service().info(name).model_dump_json(), mimetype="application/json")
