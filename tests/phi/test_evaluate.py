"""The PHI evaluator's arithmetic on a tiny hand-checked example."""

from nlp_service.phi.base import Finding
from nlp_service.phi.evaluate import score_phi
from nlp_service.schemas import PhiType


def test_token_and_span_scores():
    text = "Dr. Ann Lee saw him on 3/4/21 at Mercy General Hospital."
    gold = {"id": "x", "phi": [
        {"type": "NAME", "begin": 4, "end": 11},  # Ann Lee
        {"type": "DATE", "begin": 23, "end": 29},  # 3/4/21
        {"type": "ORGANIZATION", "begin": 33, "end": 55},  # Mercy General Hospital
    ]}
    predicted = [
        Finding(PhiType.NAME, 4, 7, 0.9, "t"),  # Ann only
        Finding(PhiType.DATE, 23, 29, 0.9, "t"),
        Finding(PhiType.NAME, 33, 38, 0.6, "t"),  # Mercy, wrong type
        Finding(PhiType.NAME, 12, 15, 0.6, "t"),  # "saw": spurious
    ]
    report = score_phi([(text, gold, predicted)])
    t = report["types"]
    assert t["NAME"]["gold_tokens"] == 2 and t["NAME"]["token_recall"] == 0.5
    assert t["DATE"]["token_recall"] == 1.0 and t["DATE"]["span_exact"]["f1"] == 1.0
    assert t["ORGANIZATION"]["token_recall"] == round(1 / 3, 4)  # Mercy is removed, as a NAME
    assert t["ORGANIZATION"]["token_recall_same_type"] == 0.0
    assert t["NAME"]["token_precision"] == round(2 / 3, 4)  # Ann and Mercy (gold, as ORG) are PHI; "saw" is not
    assert report["overall"]["gold_tokens"] == 8  # Ann Lee 3 4 21 Mercy General Hospital
    kinds = {e["kind"] for e in report["errors"]}
    assert kinds == {"spurious NAME"}
