"""Liveness and readiness: ``GET /healthz`` (the process answers) and ``GET /readyz`` (models loaded, stores reachable)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..errors import Errors
from ..schemas import Health, Readiness
from ..version import __version__
from .openapi import operation

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@operation("Liveness: the process is up", Health, errors=[Errors.NOT_READY], tag="health", public=True)
def healthz():
    """Report that the service is up and ready to analyse."""
    ready = {"nlp_service.records", "nlp_service.phi"} <= current_app.extensions.keys()
    return jsonify(status="ok" if ready else "loading", version=__version__), (200 if ready else 503)


#: what must be attached before the service takes traffic (services load their models in create_app)
READY = ("nlp_service.records", "nlp_service.phi", "nlp_service.triage", "nlp_service.qa", "nlp_service.search",
         "nlp_service.linking")


@bp.get("/readyz")
@operation("Readiness: every model is loaded and the key and audit stores answer", Readiness, errors=[Errors.NOT_READY],
           tag="health", public=True)
def readyz():
    """200 once every service is attached and the security stores answer; 503 (E501) before."""
    checks = {name.rpartition(".")[2]: name in current_app.extensions for name in READY}
    stores = current_app.extensions.get("nlp_service.ready_checks", {})
    for name, check in stores.items():
        try:
            checks[name] = bool(check())
        except Exception:  # a store that cannot answer is not ready; the reason is in the store's own log
            checks[name] = False
    if not all(checks.values()):
        raise Errors.NOT_READY.error()
    return jsonify(status="ready", version=__version__, checks=checks)
