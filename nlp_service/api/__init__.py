"""The HTTP API: a Flask app factory with one blueprint per capability.

Views are thin: they parse the request into a schema, call one service method and serialise the
result. Services are attached in :func:`create_app` through ``app.extensions`` and know nothing
of Flask.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from ..config import Settings, load_settings


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build the app: load settings and models once, register blueprints and error handlers.

    Args:
        settings: ready settings; when None they load from the defaults, ``NLP_SERVICE_CONFIG``
            and the environment, with ``overrides`` (settings sections as dicts) applied last.
    """
    from .. import _logging
    from . import (
        auth,
        deid,
        errors,
        fhir,
        health,
        linking,
        metrics,
        openapi,
        qa,
        records,
        request_log,
        search,
        triage,
    )

    settings = settings or load_settings(overrides=overrides or None)
    _logging.configure(settings.service.log_level)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.service.max_body_bytes
    app.json.sort_keys = False
    app.extensions["nlp_service.settings"] = settings
    records.init_app(app, settings)
    deid.init_app(app, settings)
    search.init_app(app, settings)
    linking.init_app(app, settings)
    triage.init_app(app, settings)
    qa.init_app(app, settings)
    errors.init_app(app)
    metrics.init_app(app)  # first: its timing spans every other hook, and it counts the final status
    request_log.init_app(app, settings.limits.request_deadline_s)
    auth.init_app(app, settings)  # after request_log: API keys/JWTs, rate limits, body caps, audit log
    openapi.init_app(app)  # /openapi.json and the Swagger UI at /docs
    app.register_blueprint(health.bp)
    app.register_blueprint(records.bp)
    app.register_blueprint(deid.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(linking.bp)
    app.register_blueprint(triage.bp)
    app.register_blueprint(qa.bp)
    app.register_blueprint(fhir.bp)
    # the scope each endpoint needs, for the OpenAPI document (computed once every blueprint is in)
    app.extensions["nlp_service.scopes"] = auth.endpoint_scopes(app)
    return app
