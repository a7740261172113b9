"""POST /v1/deidentify, POST /v1/phi/detect and include_phi, over real HTTP."""

import json
import logging

import pytest

from tests.api.helpers import post

NOTE = "Pt Maria Gonzalez seen 3/4/21 by Dr. Okonkwo at Mercy General Hospital. Call 617-555-0199. Denies chest pain."


def test_deidentify_contract(live_server):
    status, headers, data = post(live_server, "/v1/deidentify", json.dumps({"text": NOTE}).encode())
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert set(data) == {"text", "operator", "findings", "version"}
    assert data["operator"] == "mask"
    assert data["text"].startswith("Pt [NAME] seen [DATE] by Dr. [NAME] at [ORGANIZATION]. Call [PHONE].")
    assert data["text"].endswith("Denies chest pain.")
    for f in data["findings"]:
        assert {"type", "begin", "end", "score", "recognizer", "operator", "replacement", "new_begin", "new_end"} <= f.keys()
        assert f["text"] is None  # originals only on request
        assert data["text"][f["new_begin"] : f["new_end"]] == f["replacement"]
    assert [NOTE[f["begin"] : f["end"]] for f in data["findings"]] == [
        "Maria Gonzalez", "3/4/21", "Okonkwo", "Mercy General Hospital", "617-555-0199"]


def test_deidentify_operators_and_originals(live_server):
    body = {"text": NOTE, "operator": "surrogate", "operators": {"DATE": "shift_dates"}, "patient_key": "p-1",
            "return_originals": True}
    status, _, first = post(live_server, "/v1/deidentify", json.dumps(body).encode())
    _, _, second = post(live_server, "/v1/deidentify", json.dumps(body).encode())
    assert status == 200
    assert first["text"] == second["text"]  # same patient key, same surrogates and offsets
    assert "Gonzalez" not in first["text"] and "3/4/21" not in first["text"]
    assert [f["text"] for f in first["findings"]][:2] == ["Maria Gonzalez", "3/4/21"]


def test_phi_detect(live_server):
    status, _, data = post(live_server, "/v1/phi/detect", json.dumps({"text": NOTE}).encode())
    assert status == 200 and data["text_length"] == len(NOTE)
    assert {f["type"] for f in data["findings"]} == {"NAME", "DATE", "ORGANIZATION", "PHONE"}
    assert all(f["text"] is None for f in data["findings"])


def test_records_analyze_can_include_phi(live_server):
    body = json.dumps({"text": NOTE, "include_phi": True}).encode()
    status, _, data = post(live_server, "/v1/records/analyze", body)
    assert status == 200
    assert [f["type"] for f in data["phi"]] == ["NAME", "DATE", "NAME", "ORGANIZATION", "PHONE"]
    assert any(e["text"] == "chest pain" for e in data["entities"])
    _, _, plain = post(live_server, "/v1/records/analyze", json.dumps({"text": NOTE}).encode())
    assert plain["phi"] is None


@pytest.mark.parametrize(
    ("body", "status", "code", "needle"),
    [
        ({"text": NOTE, "operator": "scramble"}, 400, "E108", "hash, mask, redact, shift_dates, surrogate"),
        ({"text": NOTE, "operators": {"DISEASE": "mask"}}, 400, "E109", "NAME"),
        ({"text": NOTE, "operators": {"NAME": "blur"}}, 400, "E108", "surrogate"),
        ({"text": ""}, 400, "E110", "empty"),
        ({"text": "   \n"}, 400, "E110", "empty"),
        ({"text": "bin\u0000ary"}, 400, "E106", "binary"),
        ({"text": "a" * 100_001}, 413, "E104", "100000"),
        ({"text": 7}, 400, "E101", "text"),
        ({"text": NOTE, "operator": ""}, 400, "E101", "operator"),
        ({"text": NOTE, "patient_key": ""}, 400, "E101", "patient_key"),
        ({"text": NOTE, "colour": "red"}, 400, "E101", "colour"),
        ({}, 400, "E101", "text"),
    ],
)
def test_deidentify_bad_input(live_server, body, status, code, needle):
    got, headers, data = post(live_server, "/v1/deidentify", json.dumps(body).encode())
    assert (got, data["code"]) == (status, code)
    assert headers["Content-Type"] == "application/problem+json"
    assert needle.lower() in data["detail"].lower()


def test_deidentify_malformed_json(live_server):
    got, _, data = post(live_server, "/v1/deidentify", b'{"text": "Dr. Okonkwo"')
    assert (got, data["code"]) == (400, "E100")


def test_deidentify_fails_closed_when_a_recognizer_breaks(app, client, monkeypatch):
    from nlp_service.api import deid

    service = app.extensions[deid.EXTENSION]

    def boom(ctx):
        raise RuntimeError("Maria Gonzalez")

    monkeypatch.setattr(service.detector.recognizers[0], "analyze", boom)
    resp = client.post("/v1/deidentify", json={"text": NOTE})
    assert resp.status_code == 500
    body = resp.get_json()
    assert body["code"] == "E502" and "text" not in body
    assert "Gonzalez" not in json.dumps(body)


def test_no_phi_reaches_the_logs(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/v1/deidentify", json={"text": NOTE, "operator": "surrogate", "return_originals": True})
    client.post("/v1/deidentify", json={"text": NOTE, "operator": "nope"})
    client.post("/v1/records/analyze", json={"text": NOTE, "include_phi": True})
    logged = "\n".join(r.getMessage() + json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert caplog.records, "expected access-log records"
    for value in ("Gonzalez", "Okonkwo", "617-555-0199", "3/4/21", "Mercy"):
        assert value not in logged


def test_blank_note_with_include_phi_is_an_empty_analysis(live_server):
    status, _, data = post(live_server, "/v1/records/analyze", json.dumps({"text": "  ", "include_phi": True}).encode())
    assert status == 200 and data["phi"] == [] and data["entities"] == []


@pytest.mark.parametrize("field", ["return_originals"])
def test_booleans_are_strict(live_server, field):
    status, _, data = post(live_server, "/v1/deidentify", json.dumps({"text": NOTE, field: "yes"}).encode())
    assert (status, data["code"]) == (400, "E101") and field in data["detail"]
