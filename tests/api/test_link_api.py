"""POST /v1/link over real HTTP."""

from __future__ import annotations

import json

import pytest

from .helpers import post


def test_link_mentions(live_server):
    payload = {"mentions": ["R hip OA", {"text": "MI", "history": True}, {"text": "breast cancer", "family": True}], "k": 3}
    status, _h, body = post(live_server, "/v1/link", json.dumps(payload).encode())
    assert status == 200
    assert body["code_set"].startswith("ICD-10-CM")
    first = [m["codes"][0]["code"] for m in body["mentions"]]
    assert first == ["M16.11", "I25.2", "Z80.3"]
    assert all(len(m["codes"]) == 3 for m in body["mentions"])
    assert {"code", "display", "score", "matched", "method", "billable", "version"} <= body["mentions"][0]["codes"][0].keys()


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (b'{"mentions": []}', 400, "E101"),
        (b'{"mentions": ["  "]}', 400, "E111"),
        (b'{"mentions": ["HTN"], "k": 0}', 400, "E112"),
        (b'{"mentions": ["HTN"], "k": "3"}', 400, "E101"),
        (b'{"mentions": [5]}', 400, "E101"),
        (b'{"mentions": [{"text": "HTN", "history": "yes"}]}', 400, "E101"),
        (b'{"mention": "HTN"}', 400, "E101"),
    ],
)
def test_bad_link_requests(live_server, payload, status, code):
    got, _h, body = post(live_server, "/v1/link", payload)
    assert (got, body["code"]) == (status, code)


def test_too_long_mention(live_server):
    status, _h, body = post(live_server, "/v1/link", json.dumps({"mentions": ["x" * 600]}).encode())
    assert status == 413 and body["code"] == "E104"
