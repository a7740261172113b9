"""ICD-10-CM linking of one or more mentions over HTTP: ``POST /v1/link``.

Record analysis already codes every problem it finds; this endpoint serves callers that have the
mention already (a problem list, a coding queue).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app

from ..config import Settings
from ..errors import Errors
from ..linking import IcdLinker, Query, shared_linker
from ..schemas import Code, LinkedMention, LinkRequest, LinkResult
from ..version import __version__
from .metrics import inference
from .openapi import operation
from .parsing import parse_json_body

bp = Blueprint("linking", __name__, url_prefix="/v1")
EXTENSION = "nlp_service.linking"
MAX_MENTIONS = 1000
MAX_MENTION_CHARS = 500


def init_app(app: Flask, settings: Settings) -> None:
    linking, embeddings = settings.linking, settings.embeddings
    app.extensions[EXTENSION] = (shared_linker(embeddings.cache_dir, embeddings.backend, linking.neighbours,
                                               linking.exact_neighbours), settings)


def linker() -> tuple[IcdLinker, Settings]:
    return current_app.extensions[EXTENSION]


@bp.post("/link")
@operation("ICD-10-CM codes for problem mentions", LinkResult, LinkRequest, [Errors.EMPTY_QUERY, Errors.TEXT_TOO_LONG, Errors.K_OUT_OF_RANGE], tag="records")
def link() -> Response:
    """LinkRequest in (``mentions``: texts or {text, history, family}; ``k``), LinkResult out."""
    body = parse_json_body(LinkRequest)
    icd, settings = linker()
    if not body.mentions:
        raise Errors.INVALID_REQUEST.error(summary="'mentions' is empty: give at least one mention.",
                                           errors=[{"field": "mentions", "message": "empty"}])
    if len(body.mentions) > MAX_MENTIONS:
        raise Errors.INVALID_REQUEST.error(summary=f"{len(body.mentions)} mentions; at most {MAX_MENTIONS} per request.",
                                           errors=[{"field": "mentions", "message": "too many"}])
    k = settings.linking.top_k if body.k is None else body.k
    if not 1 <= k <= 20:
        raise Errors.K_OUT_OF_RANGE.error(limit=20, k=k)
    queries = []
    for i, m in enumerate(body.mentions):
        text = m if isinstance(m, str) else m.text
        if not text.strip():
            raise Errors.EMPTY_QUERY.error(what=f"mention {i}")
        if len(text) > MAX_MENTION_CHARS:
            raise Errors.TEXT_TOO_LONG.error(length=len(text), limit=MAX_MENTION_CHARS)
        queries.append(Query(text) if isinstance(m, str) else Query(m.text, history=m.history, family=m.family))
    with inference("linking"):
        results = icd.link_many(queries, k=k, mode=settings.linking.mode)
    out = LinkResult(
        code_set=icd.version, version=__version__,
        mentions=[LinkedMention(text=q.text, codes=[Code(code=c.code, display=c.display, score=c.score, matched=c.matched,
                                                         method=c.method, billable=c.billable, version=icd.version)
                                                    for c in candidates])
                  for q, candidates in zip(queries, results, strict=True)],
    )
    return Response(out.model_dump_json(), mimetype="application/json")
