"""Record collections: build from JSONL, search (dense, lexical, hybrid), filters, changes, damage."""

from __future__ import annotations

import json
import sqlite3

import pytest

from nlp_service.config import SearchSettings
from nlp_service.errors import ServiceError
from nlp_service.search.collection import passages
from nlp_service.search.service import SearchService

from .records_fixture import RECORDS, jsonl


@pytest.fixture()
def service(tmp_path):
    return SearchService(SearchSettings(data_dir=str(tmp_path / "indexes"), max_k=20, passage_chars=200))


@pytest.fixture()
def built(service):
    service.build("notes", jsonl())
    return service


def ids(result):
    return [h.id for h in result.hits]


def test_passages_cover_the_text_at_sentence_ends():
    text = "First sentence here. Second one follows! " * 30 + "x" * 700
    spans = passages(text, 200)
    assert all(text[b:e].strip() == text[b:e] for b, e in spans)
    assert "".join(text[b:e] for b, e in spans).replace(" ", "") == text.replace(" ", "")
    assert all(e - b <= 400 for b, e in spans)
    assert text[spans[0][0]:spans[0][1]].endswith(("!", "."))


def test_build_reports_bad_lines_and_keeps_the_good_ones(service):
    lines = [*jsonl(RECORDS[:2]), "{not json", json.dumps({"id": "empty", "text": "   "}), json.dumps(["a list"]),
             json.dumps({"id": "r-knee", "text": "duplicate"}), json.dumps({"text": "no id"}),
             json.dumps({"id": "meta", "text": "x", "metadata": {"nested": {"a": 1}}}), b"\xff\xfe", ""]
    report = service.build("mixed", lines)
    assert report.added == 2 and report.records == 2
    reasons = {s["line"]: s["reason"] for s in report.skipped}
    assert set(reasons) == {3, 4, 5, 6, 7, 8, 9}
    assert "JSON" in reasons[3] and "empty" in reasons[4] and "object" in reasons[5]
    assert "duplicate" in reasons[6] and "id" in reasons[7] and "metadata" in reasons[8] and "UTF-8" in reasons[9]


def test_build_with_no_valid_line_is_an_error(service):
    with pytest.raises(ServiceError) as err:
        service.build("bad", ["nope", ""])
    assert err.value.code == "E403" and err.value.status == 400


def test_existing_name_needs_replace(built):
    with pytest.raises(ServiceError) as err:
        built.build("notes", jsonl())
    assert err.value.code == "E404"
    report = built.build("notes", jsonl(RECORDS[:2]), replace=True)
    assert report.records == 2 and built.info("notes").records == 2


def test_dense_search_finds_meaning_without_shared_words(built):
    result = built.search({"index": "notes", "query": "heart attack", "k": 3, "mode": "dense"})
    assert ids(result)[0] == "r-nstemi"
    result = built.search({"index": "notes", "query": "lung infection treated with antibiotics", "k": 3, "mode": "dense"})
    assert ids(result)[0] == "r-pneumonia"


def test_lexical_search_ranks_by_bm25(built):
    result = built.search({"index": "notes", "query": "nitrofurantoin", "k": 5, "mode": "lexical"})
    assert ids(result) == ["r-uti"]  # only records that contain the (stemmed) term
    assert result.hits[0].lexical_rank == 1 and result.hits[0].dense_rank is None


def test_hybrid_fuses_both_rankings_and_returns_each_record_once(built):
    result = built.search({"index": "notes", "query": "wheezing asthma attack", "k": 6})
    assert ids(result)[0] == "r-asthma"
    assert len(ids(result)) == len(set(ids(result)))
    top = result.hits[0]
    assert top.dense_rank is not None and top.lexical_rank is not None
    assert top.score == pytest.approx(1 / (60 + top.dense_rank) + 1 / (60 + top.lexical_rank), abs=1e-6)
    assert [h.rank for h in result.hits] == list(range(1, len(result.hits) + 1))


def test_matched_passage_is_the_relevant_stretch_with_exact_offsets(built):
    result = built.search({"index": "notes", "query": "atrial fibrillation apixaban", "k": 1})
    hit = result.hits[0]
    assert hit.id == "r-long"
    record = next(r for r in RECORDS if r["id"] == "r-long")
    assert record["text"][hit.passage.begin:hit.passage.end] == hit.passage.text
    assert "apixaban" in hit.passage.text and len(hit.passage.text) < len(record["text"]) / 2


def test_metadata_filters(built):
    result = built.search({"index": "notes", "query": "chest pain", "k": 10, "filters": {"dept": "medicine"}})
    assert set(ids(result)) <= {"r-pneumonia", "r-asthma"} and ids(result)
    result = built.search({"index": "notes", "query": "pain", "k": 10, "filters": {"year": [2023, 2022]}})
    assert set(ids(result)) == {"r-knee", "r-asthma"}
    result = built.search({"index": "notes", "query": "pain", "k": 10, "filters": {"dept": "dermatology"}})
    assert result.hits == []


def test_search_by_record_id_leaves_the_record_out(built):
    result = built.search({"index": "notes", "record_id": "r-nstemi", "k": 3})
    assert "r-nstemi" not in ids(result) and len(result.hits) == 3


def test_add_replace_and_delete_change_the_results(built):
    report = built.add("notes", [json.dumps({"id": "r-gout", "text": "Acute gout flare of the first toe, colchicine."}),
                                 json.dumps({"id": "r-uti", "text": "Cellulitis of the right leg, cephalexin."})])
    assert (report.added, report.replaced, report.records) == (1, 1, len(RECORDS) + 1)
    assert ids(built.search({"index": "notes", "query": "colchicine", "k": 1, "mode": "lexical"})) == ["r-gout"]
    assert built.search({"index": "notes", "query": "nitrofurantoin", "k": 5, "mode": "lexical"}).hits == []
    assert built.delete("notes", ["r-gout", "unknown"]) == 1
    assert built.search({"index": "notes", "query": "colchicine", "k": 5, "mode": "lexical"}).hits == []
    # another process (a second service on the same folder) sees the change
    other = SearchService(built.settings)
    assert other.info("notes").records == len(RECORDS)


@pytest.mark.parametrize(
    ("request_body", "code", "status"),
    [
        ({"index": "notes", "query": "   "}, "E111", 400),
        ({"index": "notes", "query": "x", "k": 0}, "E112", 400),
        ({"index": "notes", "query": "x", "k": 21}, "E112", 400),
        ({"index": "notes", "query": "x", "k": True}, "E101", 400),
        ({"index": "notes", "query": "x", "k": "5"}, "E101", 400),
        ({"index": "missing", "query": "x"}, "E202", 404),
        ({"index": "../etc", "query": "x"}, "E101", 400),
        ({"index": "notes", "record_id": "nobody"}, "E203", 404),
        ({"index": "notes"}, "E101", 400),
        ({"index": "notes", "query": "x", "record_id": "r-knee"}, "E101", 400),
        ({"index": "notes", "query": "x", "filters": {"dept": []}}, "E113", 400),
        ({"index": "notes", "query": "x" * 6000}, "E104", 413),
        ({"index": "notes", "query": "x", "mode": "magic"}, "E101", 400),
    ],
)
def test_bad_requests_get_clear_errors(built, request_body, code, status):
    with pytest.raises(ServiceError) as err:
        built.search(request_body)
    assert (err.value.code, err.value.status) == (code, status)


@pytest.mark.parametrize("damage", ["sqlite", "bm25", "vectors", "manifest counts"])
def test_a_damaged_collection_is_never_served(built, damage):
    path = built.root / "notes"
    if damage == "sqlite":
        db = sqlite3.connect(path / "records.sqlite")
        db.execute("DELETE FROM passages WHERE pid = (SELECT MIN(pid) FROM passages)")
        db.commit()
        db.close()
    elif damage == "bm25":
        victim = next(p for p in sorted((path / "bm25").iterdir()) if p.suffix == ".npy")
        victim.write_bytes(victim.read_bytes()[:-8])
    elif damage == "vectors":
        (path / "vectors" / "ids.npy").unlink()
    else:
        manifest = json.loads((path / "collection.json").read_text())
        manifest["records"] += 1
        (path / "collection.json").write_text(json.dumps(manifest))
    fresh = SearchService(built.settings)
    with pytest.raises(ServiceError) as err:
        fresh.search({"index": "notes", "query": "pain"})
    assert err.value.code == "E304" and err.value.status == 500
