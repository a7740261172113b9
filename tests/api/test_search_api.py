"""POST /v1/search and GET /v1/indexes over real HTTP, against a collection built for the test."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from werkzeug.serving import make_server

from nlp_service.api import create_app
from nlp_service.config import SearchSettings
from nlp_service.search.service import SearchService

from ..search.records_fixture import jsonl
from .helpers import AUTH, post


@pytest.fixture(scope="module")
def search_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("indexes")
    app = create_app(search={"data_dir": str(data_dir), "max_k": 50}, phi={"secret": "test-secret"})
    SearchService(app.extensions["nlp_service.search"].settings).build("notes", jsonl())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", data_dir
    server.shutdown()
    thread.join(timeout=5)


def get(url):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=AUTH), timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_search_by_text_returns_hits_with_passages(search_server):
    base, _ = search_server
    status, _h, body = post(base, "/v1/search", json.dumps({"index": "notes", "query": "heart attack", "k": 2}).encode())
    assert status == 200
    assert body["index"] == "notes" and body["mode"] == "hybrid" and len(body["hits"]) == 2
    top = body["hits"][0]
    assert top["id"] == "r-nstemi" and top["metadata"]["dept"] == "cardiology"
    assert {"text", "begin", "end"} <= top["passage"].keys() and top["score"] > 0


def test_search_by_record_id_with_filters(search_server):
    base, _ = search_server
    payload = {"index": "notes", "record_id": "r-pneumonia", "k": 5, "filters": {"year": 2024}}
    status, _h, body = post(base, "/v1/search", json.dumps(payload).encode())
    assert status == 200
    assert {h["id"] for h in body["hits"]} == {"r-nstemi", "r-uti"}


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (b'{"index": "notes", "query": ""}', 400, "E111"),
        (b'{"index": "notes", "query": "x", "k": 51}', 400, "E112"),
        (b'{"index": "notes", "query": "x", "k": -1}', 400, "E112"),
        (b'{"index": "nope", "query": "x"}', 404, "E202"),
        (b'{"index": "notes", "record_id": "missing"}', 404, "E203"),
        (b'{"index": "notes", "query": "x", "limit": 3}', 400, "E101"),
        (b'{"index": "notes", "query": 5}', 400, "E101"),
        (b'{"index": "notes", "query": "x"', 400, "E100"),
    ],
)
def test_bad_search_requests(search_server, payload, status, code):
    base, _ = search_server
    got, _h, body = post(base, "/v1/search", payload)
    assert (got, body["code"]) == (status, code)
    assert body["detail"]


def test_unknown_index_lists_the_known_ones(search_server):
    base, _ = search_server
    _s, _h, body = post(base, "/v1/search", b'{"index": "nope", "query": "x"}')
    assert "notes" in body["detail"]


def test_wrong_content_type(search_server):
    base, _ = search_server
    status, _h, body = post(base, "/v1/search", b"index=notes", content_type="application/x-www-form-urlencoded")
    assert status == 415 and body["code"] == "E102"


def test_index_listing_and_info(search_server):
    base, _ = search_server
    status, body = get(base + "/v1/indexes")
    assert status == 200 and [i["name"] for i in body["indexes"]] == ["notes"]
    assert body["indexes"][0]["records"] == 6
    status, body = get(base + "/v1/indexes/notes")
    assert status == 200 and body["passages"] >= 6 and body["vector_index"] == "exact"
    status, body = get(base + "/v1/indexes/absent")
    assert status == 404 and body["code"] == "E202"


def test_a_corrupt_index_is_a_500_not_a_wrong_answer(search_server):
    base, data_dir = search_server
    SearchService(SearchSettings(data_dir=str(data_dir))).build("fragile", jsonl())
    (data_dir / "fragile" / "vectors" / "vectors.npy").write_bytes(b"\x93NUMPY garbage")
    status, _h, body = post(base, "/v1/search", b'{"index": "fragile", "query": "pain"}')
    assert status == 500 and body["code"] == "E304"
