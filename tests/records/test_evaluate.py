import json

import pytest

from nlp_service.errors import ServiceError
from nlp_service.records.evaluate import Counts, evaluate_records, format_report, match_lenient


def test_evaluate_counts_scores():
    assert Counts(tp=8, fp=2, fn=8).scores() == {"precision": 0.8, "recall": 0.5, "f1": 0.6154, "tp": 8, "fp": 2, "fn": 8}
    assert Counts().scores()["f1"] == 0.0


def test_evaluate_lenient_matching_prefers_exact_spans():
    gold = [{"begin": 0, "end": 10, "category": "PROBLEM"}]
    pred = [{"begin": 2, "end": 6, "category": "PROBLEM"}, {"begin": 0, "end": 10, "category": "PROBLEM"},
            {"begin": 0, "end": 10, "category": "ANATOMY"}]
    assert match_lenient(gold, pred) == [(0, 1)]


def _write_gold(folder, note_id, text, entities, split="dev"):
    (folder / f"{note_id}.txt").write_text(text, encoding="utf-8")
    (folder / f"{note_id}.json").write_text(json.dumps({
        "id": note_id, "type": "progress_note", "split": split, "entities": entities,
        "attributes": [], "sections": [], "phi": []}), encoding="utf-8")


def _ent(text, full, category="PROBLEM", **assertion):
    begin = full.index(text)
    base = {"certainty": "positive", "temporality": "current", "subject": "patient"}
    return {"begin": begin, "end": begin + len(text), "text": text, "category": category,
            "type": None, "assertion": {**base, **assertion}}


def test_evaluate_records_on_a_small_gold_set(analyzer, tmp_path):
    t1 = "Denies zebra rash. Has quokka fever."
    _write_gold(tmp_path, "a", t1, [_ent("zebra rash", t1, certainty="negated"), _ent("quokka fever", t1)])
    t2 = "Mother with okapi syndrome."
    _write_gold(tmp_path, "b", t2, [_ent("okapi syndrome", t2, subject="family")], split="test")

    class WithTerms:
        """Give the analyser the made-up terms so that the evaluation itself is what is tested."""

        def analyze_many(self, texts):
            terms = [("zebra rash", "PROBLEM"), ("quokka fever", "PROBLEM"), ("okapi syndrome", "PROBLEM")]
            return analyzer.analyze_many((t, terms) for t in texts)

    report = evaluate_records(WithTerms(), tmp_path, split="all")
    assert report["notes"] == 2
    problems = report["entities_strict"]["PROBLEM"]
    assert problems["tp"] == 3 and problems["fn"] == 0
    assert report["assertions"]["certainty=negated"]["f1"] == 1.0
    assert report["assertions"]["subject=family"]["tp"] == 1
    assert "certainty=negated" in format_report(report)
    only_test = evaluate_records(WithTerms(), tmp_path, split="test")
    assert only_test["notes"] == 1


def test_evaluate_records_missing_gold(analyzer, tmp_path):
    with pytest.raises(ServiceError, match="E400"):
        evaluate_records(analyzer, tmp_path / "nope")
    with pytest.raises(ServiceError, match="E401"):
        evaluate_records(analyzer, tmp_path)
