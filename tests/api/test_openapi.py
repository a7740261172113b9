"""The OpenAPI 3.1 document, the docs page, /readyz, /metrics, and schemathesis against the live API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi.checks import response_schema_conformance

from nlp_service import schemas
from nlp_service.api.openapi import FHIR_JSON
from nlp_service.resources import load_rules
from nlp_service.schemas import Problem

from .helpers import AUTH

UNDOCUMENTED = {"static", "docs.show", "fhir.fallback", "openapi.openapi_json", "metrics.metrics"}


def get(base: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    req = urllib.request.Request(base + path, headers=headers or {})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), resp.read()


@pytest.fixture(scope="module")
def document(live_server) -> dict:
    status, content_type, body = get(live_server, "/openapi.json")
    assert status == 200 and content_type.startswith("application/json")
    return json.loads(body)


def test_document_is_valid_openapi_31_and_covers_every_route(document, app):
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    assert document["openapi"] == "3.1.0"
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNDOCUMENTED:
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, f"{method} {rule.rule} is not in the OpenAPI document"


def test_every_operation_has_examples_errors_and_security(document):
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            ok = next(iter(op["responses"]["200"]["content"].values()))
            assert "example" in ok, f"{where}: no response example"
            if "requestBody" in op:
                assert "example" in next(iter(op["requestBody"]["content"].values())), f"{where}: no request example"
                assert "400" in op["responses"] and "413" in op["responses"], f"{where}: body errors not documented"
            assert "500" in op["responses"]
            if op["security"]:  # every non-public operation documents 401, 403 and 429
                assert {"401", "403", "429"} <= op["responses"].keys(), where
            else:
                assert path in ("/healthz", "/readyz")


def test_examples_validate_against_their_schemas():
    """The shipped examples are real answers: each still validates against its model."""
    models = {"records.analyze": (schemas.AnalyzeRequest, schemas.RecordAnalysis),
              "phi.deidentify": (schemas.DeidentifyRequest, schemas.DeidentifyResult),
              "phi.detect": (schemas.PhiDetectRequest, schemas.PhiDetectResult),
              "triage.triage": (schemas.TriageRequest, schemas.TriageResult),
              "qa.qa": (schemas.QARequest, schemas.QAResult), "qa.kbs": (None, schemas.KBList),
              "linking.link": (schemas.LinkRequest, schemas.LinkResult),
              "search.search": (schemas.SearchRequest, schemas.SearchResult), "search.indexes": (None, schemas.IndexList),
              "search.index_info": (None, schemas.IndexInfo), "health.healthz": (None, schemas.Health),
              "health.readyz": (None, schemas.Readiness)}
    examples = load_rules("openapi_examples.json")["operations"]
    assert set(models) | {"fhir.analyze", "fhir.deidentify"} == set(examples)
    for name, (request, response) in models.items():
        if request is not None:
            request.model_validate(examples[name]["request"])
        response.model_validate(examples[name]["response"])
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.documentreference import DocumentReference

    assert Bundle.model_validate(examples["fhir.analyze"]["response"]).type == "collection"
    DocumentReference.model_validate(examples["fhir.deidentify"]["request"])


def test_docs_page_is_served_from_local_files(live_server):
    status, content_type, page = get(live_server, "/docs/")
    assert status == 200 and content_type.startswith("text/html")
    assert b"/openapi.json" in page and b"swagger-ui-bundle.js" in page and b"http" not in page.split(b"<script")[1][:200]
    status, _, script = get(live_server, "/docs/swagger-ui-bundle.js")
    assert status == 200 and len(script) > 100_000


def test_readyz_reports_each_check_and_needs_no_key(live_server):
    status, _, body = get(live_server, "/readyz")
    ready = json.loads(body)
    assert status == 200 and ready["status"] == "ready"
    assert {"records", "phi", "triage", "qa", "search", "keys", "audit"} <= ready["checks"].keys()
    assert all(ready["checks"].values())


def test_metrics_count_requests_and_time_inference(live_server):
    from .helpers import post

    status, _, _ = post(live_server, "/v1/triage", json.dumps({"text": "sore throat for two days"}).encode())
    assert status == 200
    post(live_server, "/v1/triage", b"{not json")
    odd = urllib.request.Request(live_server + "/v1/triage", method="FOOBAR")
    try:
        urllib.request.urlopen(odd, timeout=30)
    except urllib.error.HTTPError as err:
        assert err.code == 405
    status, content_type, body = get(live_server, "/metrics")
    text = body.decode()
    assert status == 200 and content_type.startswith("text/plain")
    assert 'nlp_service_requests_total{endpoint="/v1/triage",method="POST",status="200"}' in text
    assert 'nlp_service_requests_total{endpoint="/v1/triage",method="POST",status="400"}' in text
    assert 'nlp_service_request_duration_seconds_bucket{endpoint="/v1/triage",le="0.5",method="POST"}' in text
    assert 'nlp_service_inference_duration_seconds_count{service="triage"}' in text
    assert "sore throat" not in text  # labels are routes and names, never content
    assert 'method="OTHER",status="405"' in text and "FOOBAR" not in text  # a client cannot mint label values


def test_problem_schema_matches_what_errors_look_like(live_server):
    from .helpers import post

    status, headers, body = post(live_server, "/v1/qa", json.dumps({"question": "", "k": 3}).encode())
    assert status == 400 and headers["Content-Type"] == "application/problem+json"
    assert Problem.model_validate(body).code == "E110"


# -- schemathesis: generated requests against every documented operation, over real HTTP ----------------
def test_api_conforms_and_never_answers_5xx(live_server):
    """For every documented operation, generated requests (valid and not) never get a 5xx, and every
    response conforms to the document (FHIR errors are OperationOutcome)."""
    from hypothesis import given

    schema = schemathesis.openapi.from_url(live_server + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
        def check(case):
            response = case.call(headers=dict(AUTH), timeout=60)
            where = f"{case.method} {case.path}"
            assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
            if case.path.startswith("/fhir") and response.status_code >= 400:  # errors there are OperationOutcome
                content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
                assert (content_type[0] if isinstance(content_type, list) else content_type).startswith(FHIR_JSON), where
                assert json.loads(response.text)["resourceType"] == "OperationOutcome", where
                return
            case.validate_response(response, checks=[response_schema_conformance])

        check()
