"""POST /v1/records/analyze over real HTTP (a threaded werkzeug server on a local port)."""

import json
import urllib.request

import pytest

from tests.api.helpers import post


def test_api_healthz(live_server):
    with urllib.request.urlopen(live_server + "/healthz", timeout=10) as resp:
        assert resp.status == 200
        assert json.loads(resp.read())["status"] == "ok"


def test_api_analyze_contract(live_server):
    text = "HPI: Denies chest pain. H/o HTN on metoprolol 25 mg PO BID.\nFAMILY HISTORY: Mother with breast cancer."
    body = json.dumps({"text": text, "terms": [{"text": "chest pain", "category": "PROBLEM"}]}).encode()
    status, headers, data = post(live_server, "/v1/records/analyze", body)
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Request-ID"]
    assert {"sections", "sentences", "entities"} <= data.keys()
    for entity in data["entities"]:
        assert {"text", "begin", "end", "category", "assertion", "cues", "attributes", "codes"} <= entity.keys()
        assert set(entity["assertion"]) == {"certainty", "temporality", "subject"}
        assert text[entity["begin"] : entity["end"]] == entity["text"]
    by_text = {e["text"]: e for e in data["entities"]}
    assert by_text["chest pain"]["assertion"]["certainty"] == "negated"
    assert by_text["chest pain"]["cues"][0]["text"] == "Denies"
    assert by_text["HTN"]["assertion"]["temporality"] == "historical"
    assert by_text["breast cancer"]["assertion"]["subject"] == "family"
    assert [a["type"] for a in by_text["metoprolol"]["attributes"]] == ["STRENGTH", "ROUTE", "FREQUENCY"]
    assert by_text["HTN"]["codes"][0]["code"] == "I10"


def test_api_request_id_is_echoed(live_server):
    req = urllib.request.Request(live_server + "/healthz", headers={"X-Request-ID": "abc-123"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.headers["X-Request-ID"] == "abc-123"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "field"),
    [
        (b"{not json", "application/json", 400, "E100", None),
        (b'{"text": 12}', "application/json", 400, "E101", "text"),
        (b'{"txt": "x"}', "application/json", 400, "E101", "txt"),
        (b'{"text": "x", "terms": [{"text": "a", "category": "DISEASE"}]}', "application/json", 400, "E101", "terms.0.category"),
        (b'{"text": "x", "terms": "chest pain"}', "application/json", 400, "E101", "terms"),
        (b'["text"]', "application/json", 400, "E101", "(body)"),
        (b"\xff\xfe\x00t", "application/json", 400, "E103", None),
        (b"text=hello", "application/x-www-form-urlencoded", 415, "E102", None),
        (b'{"text": "bin\\u0000ary"}', "application/json", 400, "E106", None),
        (json.dumps({"text": "a" * 100_001}).encode(), "application/json", 413, "E104", None),
        (b'{"text": "x", "terms": [' + b",".join([b'{"text": "t", "category": "PROBLEM"}'] * 6) + b"]}", "application/json", 400, "E107", None),
        (b"x" * 1_000_001, "application/json", 413, "E105", None),
    ],
)
def test_api_bad_input_gets_problem_details(live_server, body, content_type, status, code, field):
    got_status, headers, data = post(live_server, "/v1/records/analyze", body, content_type)
    assert got_status == status
    assert headers["Content-Type"] == "application/problem+json"
    assert data["code"] == code and data["status"] == status and data["detail"]
    if field:
        assert field in [e["field"] for e in data["errors"]]
        assert field in data["detail"] or field == "(body)"


def test_api_empty_text_is_a_valid_empty_result(live_server):
    status, _, data = post(live_server, "/v1/records/analyze", b'{"text": ""}')
    assert status == 200
    assert data["entities"] == [] and data["sentences"] == [] and data["text_length"] == 0


def test_api_unknown_route_and_method(client):
    assert client.get("/v1/nothing").status_code == 404
    resp = client.get("/v1/records/analyze")
    assert resp.status_code == 405
    assert resp.get_json()["code"] == "E201"
    assert "POST" in resp.headers["Allow"]


def test_api_unexpected_errors_are_500_without_content(app, client, monkeypatch, caplog):
    from nlp_service.api import records

    def boom(*args, **kwargs):
        raise RuntimeError("secret note text")

    analyzer = app.extensions[records.EXTENSION]
    monkeypatch.setattr(analyzer, "analyze", boom)
    resp = client.post("/v1/records/analyze", json={"text": "secret note text"})
    assert resp.status_code == 500
    body = resp.get_json()
    assert body["code"] == "E500"
    assert "secret" not in json.dumps(body)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"text": "fever \\ud800 cough"}', "application/json", 400, "E103"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", 400, "E100"),
        (b'{"text": "a", "text": "b"}', "application/json", 400, "E100"),
        ('{"text": "caf\u00e9"}'.encode("latin-1"), "application/json; charset=latin-1", 415, "E102"),
    ],
)
def test_api_malformed_unicode_and_json_are_client_errors(live_server, body, content_type, status, code):
    got_status, _, data = post(live_server, "/v1/records/analyze", body, content_type)
    assert (got_status, data["code"]) == (status, code)


def test_api_term_category_is_case_insensitive(client):
    resp = client.post("/v1/records/analyze", json={"text": "zebra rash", "terms": [{"text": "zebra rash", "category": "problem"}]})
    assert resp.status_code == 200
    assert resp.get_json()["entities"][0]["category"] == "PROBLEM"
