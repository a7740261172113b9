"""Errors as RFC 9457 problem details. Client faults are 4xx; anything unexpected is a logged 500."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, json, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from ..errors import Errors, ServiceError

log = logging.getLogger("nlp_service.api")
PROBLEM_JSON = "application/problem+json"


def problem_response(error: ServiceError) -> Response:
    """Serialise a catalogue error as problem+json with its status."""
    body = error.to_problem(instance=request.path)
    response = Response(json.dumps(body), status=error.status, mimetype=PROBLEM_JSON)
    return response


def init_app(app: Flask) -> None:
    """Register the error handlers."""

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        return problem_response(exc)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> Response:
        return problem_response(Errors.BODY_TOO_LARGE.error(limit=app.config["MAX_CONTENT_LENGTH"]))

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> Response:
        return problem_response(Errors.NOT_FOUND.error(path=request.path))

    @app.errorhandler(MethodNotAllowed)
    def _method(exc: MethodNotAllowed) -> Response:
        allowed = ", ".join(sorted(exc.valid_methods or []))
        response = problem_response(Errors.METHOD_NOT_ALLOWED.error(method=request.method, allowed=allowed))
        response.headers["Allow"] = allowed
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        body = {
            "type": "about:blank", "title": exc.name, "status": exc.code,
            "detail": exc.description, "instance": request.path,
        }
        return Response(json.dumps(body), status=exc.code or 500, mimetype=PROBLEM_JSON)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        request_id = getattr(g, "request_id", "-")
        # the exception type and traceback only: messages may quote the input
        log.error("unhandled error", extra={"request_id": request_id}, exc_info=(type(exc), None, exc.__traceback__))
        return problem_response(Errors.INTERNAL.error(request_id=request_id))
