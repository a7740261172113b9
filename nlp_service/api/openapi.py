"""The OpenAPI 3.1 document, generated from the routes and the pydantic schemas, and the docs page.

Each view declares what it takes and returns with :func:`operation`; :func:`build_document` walks the
app's URL map, turns the declared models into JSON Schema 2020-12 (the dialect of OpenAPI 3.1) with
pydantic, and adds the request and response examples from ``resources/openapi_examples.json`` and the
catalogue's problem+json errors. ``/openapi.json`` serves the document; ``/docs`` serves Swagger UI
from the files that ship with flask-swagger-ui (nothing is fetched from the internet).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ..errors import Errors, ErrorSpec
from ..resources import load_rules
from ..version import __version__

F = TypeVar("F", bound=Callable[..., Any])
REF = "#/components/schemas/{model}"
PROBLEM = "application/problem+json"
bp = Blueprint("openapi", __name__)


Schema = type[BaseModel] | dict[str, Any]  # a pydantic model, or a JSON Schema (FHIR resources)
FHIR_JSON = "application/fhir+json"
FHIR_RESOURCE: dict[str, Any] = {
    "type": "object", "required": ["resourceType"], "additionalProperties": True,
    "properties": {"resourceType": {"type": "string"}},
    "description": "A FHIR R4 resource in JSON (validated with fhir.resources; https://hl7.org/fhir/R4/).",
}


@dataclass(frozen=True)
class Operation:
    """What one endpoint takes and returns, for the OpenAPI document."""

    summary: str
    response: Schema
    request: Schema | None = None
    errors: tuple[ErrorSpec, ...] = ()
    tag: str = ""
    media_type: str = "application/json"
    public: bool = False  # served without credentials
    parameters: tuple[dict[str, Any], ...] = field(default_factory=tuple)  # query parameters


# every endpoint that parses a JSON body can answer these
BODY_ERRORS = (Errors.INVALID_JSON, Errors.INVALID_REQUEST, Errors.UNSUPPORTED_MEDIA_TYPE, Errors.BODY_TOO_LARGE)


def operation(summary: str, response: Schema, request: Schema | None = None, errors: Iterable[ErrorSpec] = (),
              tag: str = "", public: bool = False, media_type: str = "application/json",
              parameters: Iterable[dict[str, Any]] = ()) -> Callable[[F], F]:
    """Declare a view's request and response models (and its own errors) for the OpenAPI document."""
    spec = Operation(summary, response, request, tuple(errors) + (BODY_ERRORS if request else ()), tag, media_type, public,
                     tuple(parameters))

    def mark(view: F) -> F:
        view.__openapi__ = spec  # type: ignore[attr-defined]
        return view

    return mark


def _path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """Flask's ``/v1/indexes/<name>`` -> OpenAPI's ``/v1/indexes/{name}`` with its path parameters."""
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
              for name in re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule)]
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule), params


def _schema(model: Schema) -> dict[str, Any]:
    return {"$ref": REF.format(model=model.__name__)} if isinstance(model, type) else model


def _problem_example(spec: ErrorSpec) -> dict[str, Any]:
    return {"type": f"urn:nlp-service:error:{spec.code}", "title": spec.title, "status": spec.status,
            "detail": spec.template, "code": spec.code}


def _operations(app: Flask) -> list[tuple[str, str, str, Operation]]:
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        spec = getattr(view, "__openapi__", None)
        if spec is None:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.rule, method.lower(), rule.endpoint, spec))
    return sorted(found)


def build_document(app: Flask, scopes: dict[str, str] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``app``'s declared endpoints. ``scopes`` maps an endpoint to the API
    key scope it needs (documented on the operation)."""
    examples = load_rules("openapi_examples.json")["operations"]
    operations = _operations(app)
    models: dict[type[BaseModel], None] = {}
    for _rule, _method, _endpoint, spec in operations:
        for model in (spec.response, spec.request):
            if isinstance(model, type):
                models[model] = None
    from ..schemas import Problem

    models[Problem] = None
    keys = [(m, "validation") for m in models]
    _, schema = models_json_schema(keys, ref_template=REF)
    components = schema.get("$defs", {})
    paths: dict[str, dict[str, Any]] = {}
    for rule, method, endpoint, spec in operations:
        path, params = _path(rule)
        example = examples.get(endpoint, {})
        op: dict[str, Any] = {"operationId": endpoint.replace(".", "_"), "summary": spec.summary,
                              "tags": [spec.tag or endpoint.split(".")[0]]}
        if params or spec.parameters:
            op["parameters"] = params + list(spec.parameters)
        if spec.request is not None:
            body: dict[str, Any] = {"schema": _schema(spec.request)}
            if "request" in example:
                body["example"] = example["request"]
            op["requestBody"] = {"required": True, "content": {spec.media_type: body}}
        ok: dict[str, Any] = {"schema": _schema(spec.response)}
        if "response" in example:
            ok["example"] = example["response"]
        op["responses"] = {"200": {"description": "OK", "content": {spec.media_type: ok}}}
        errors = list(spec.errors)
        if not spec.public:
            errors += [Errors.UNAUTHORISED, Errors.INVALID_CREDENTIALS, Errors.FORBIDDEN, Errors.RATE_LIMITED, Errors.TOO_MANY_ITEMS]
            op["security"] = [{"bearer": []}, {"apiKey": []}]
            if scopes and endpoint in scopes:
                op["description"] = f"Needs an API key with the `{scopes[endpoint]}` scope (or `admin`)."
        else:
            op["security"] = []
        errors.append(Errors.INTERNAL)
        by_status: dict[int, list[ErrorSpec]] = {}
        for spec_error in dict.fromkeys(errors):
            by_status.setdefault(spec_error.status, []).append(spec_error)
        fhir = spec.media_type == FHIR_JSON  # FHIR operations answer errors as OperationOutcome
        for status, specs in sorted(by_status.items()):
            schema = {**FHIR_RESOURCE, "description": "An OperationOutcome naming the problem and its catalogue code"} \
                if fhir else {"$ref": REF.format(model="Problem")}
            op["responses"][str(status)] = {
                "description": "; ".join(f"{s.code} {s.title}" for s in specs),
                "content": {FHIR_JSON if fhir else PROBLEM: {
                    "schema": schema,
                    "examples": {s.code: {"summary": s.title, "value": _problem_example(s)} for s in specs} if not fhir else {}}},
            }
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "nlp-service", "version": __version__,
                 "description": "Clinical NLP: record analysis, de-identification, triage, question answering, "
                                "similar-record search and ICD-10-CM linking. Errors are RFC 9457 problem+json "
                                "with a stable code. Requests may carry PHI: the service never logs text."},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "An API key from `nlp-service keys create`, or an OIDC access token (JWT)."},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 document (built once per process)."""
    document = current_app.extensions.get("nlp_service.openapi")
    if document is None:
        scopes = current_app.extensions.get("nlp_service.scopes")
        document = current_app.extensions["nlp_service.openapi"] = build_document(current_app, scopes)
    return jsonify(document)


def init_app(app: Flask) -> None:
    """Serve ``/openapi.json`` and the Swagger UI page at ``/docs`` (its files ship with flask-swagger-ui)."""
    from flask_swagger_ui import get_swaggerui_blueprint

    app.register_blueprint(bp)
    app.register_blueprint(get_swaggerui_blueprint("/docs", "/openapi.json", config={"app_name": "nlp-service API"}),
                           name="docs")
