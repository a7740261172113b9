"""Record analysis returns top-k ICD-10-CM codes for every PROBLEM entity."""

from __future__ import annotations

import nlp_service
from nlp_service.config import load_settings

NOTE = ("HPI: 67M with h/o MI, HTN and L knee OA. Denies chest pain. Mother had breast cancer. "
        "Pnuemonia on CXR.")


def problems(result):
    return {e.text: e for e in result.entities if e.category == "PROBLEM"}


def test_problems_carry_ranked_versioned_codes(analyzer):
    found = problems(analyzer.analyze(NOTE))
    assert found["Pnuemonia"].codes[0].code == "J18.9"
    for entity in found.values():
        assert 1 <= len(entity.codes) <= 5
        assert all(c.version and c.version.startswith("ICD-10-CM") for c in entity.codes)
        assert [c.score for c in entity.codes] == sorted((c.score for c in entity.codes), reverse=True)


def test_negated_problems_keep_their_codes(analyzer):
    chest = problems(analyzer.analyze(NOTE))["chest pain"]
    assert chest.assertion.certainty.value == "negated"
    assert chest.codes[0].code == "R07.9"


def test_assertions_and_nearby_sides_steer_the_codes(analyzer):
    found = problems(analyzer.analyze(NOTE))
    assert found["MI"].codes[0].code == "I25.2"  # historical -> old MI
    assert found["breast cancer"].codes[0].code == "Z80.3"  # family -> family history
    assert found["knee OA"].codes[0].code == "M17.12"  # "L" before the entity


def test_non_problems_have_no_codes(analyzer):
    result = analyzer.analyze("Metoprolol 25 mg PO BID. CXR ordered.")
    assert all(not e.codes for e in result.entities if e.category != "PROBLEM")


def test_top_k_is_a_setting():
    settings = load_settings(overrides={"linking": {"top_k": 2}})
    analyzer = nlp_service.record_analyzer(settings)
    assert all(len(e.codes) <= 2 for e in analyzer.analyze(NOTE).entities)
    assert any(len(e.codes) == 2 for e in analyzer.analyze(NOTE).entities)
