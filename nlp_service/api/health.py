"""Liveness: ``GET /healthz`` answers 200 once the app (and its models) are loaded."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..version import __version__

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Report that the service is up and ready to analyse."""
    ready = {"nlp_service.records", "nlp_service.phi"} <= current_app.extensions.keys()
    return jsonify(status="ok" if ready else "loading", version=__version__), (200 if ready else 503)
