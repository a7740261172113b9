"""The registry and the detector: configuration picks recognizers; a failing recognizer fails the call."""

import pytest

import nlp_service
from nlp_service.errors import ServiceError
from nlp_service.phi import RECOGNIZERS, PhiDetector, merge_findings
from nlp_service.phi.base import Finding, Recognizer
from nlp_service.schemas import PhiType


def test_active_recognizers_come_from_configuration():
    detector = PhiDetector(["phi.phone.v1"])
    kinds = {f.type for f in detector.detect("Dr. Okonkwo, 617-555-0199, 3/4/21")}
    assert kinds == {PhiType.PHONE}


def test_unknown_recognizer_is_named():
    with pytest.raises(ServiceError) as err:
        PhiDetector(["phi.phone.v1", "phi.tarot.v1"])
    assert "phi.tarot.v1" in err.value.detail and "phi.phone.v1" in err.value.detail


class _Broken(Recognizer):
    name = "phi.broken.v1"

    def analyze(self, ctx):
        raise RuntimeError("boom")


def test_a_failing_recognizer_fails_closed(monkeypatch):
    monkeypatch.setitem(RECOGNIZERS, "phi.broken.v1", _Broken)
    service = nlp_service.phi.PhiService(
        nlp_service.config.load_settings(overrides={"phi": {"recognizers": ["phi.names.v1", "phi.broken.v1"],
                                                             "secret": "t"}}).phi
    )
    with pytest.raises(ServiceError) as err:
        service.deidentify("Seen by Dr. Okonkwo.")
    assert err.value.code == "E502" and err.value.status == 500 and "phi.broken.v1" in err.value.detail


def test_merge_prefers_the_stronger_finding_and_joins_same_type_overlaps():
    merged = merge_findings([
        Finding(PhiType.NAME, 0, 5, 0.6, "a"), Finding(PhiType.NAME, 3, 9, 0.9, "b"),
        Finding(PhiType.ORGANIZATION, 0, 12, 0.7, "c"), Finding(PhiType.DATE, 20, 24, 0.9, "d"),
    ])
    assert [(f.type, f.begin, f.end) for f in merged] == [(PhiType.NAME, 0, 9), (PhiType.DATE, 20, 24)]


@pytest.mark.parametrize("text", ["", "   ", 42, None, b"bytes"])
def test_bad_text_is_rejected(phi, text):
    with pytest.raises(ServiceError) as err:
        phi.findings(text)
    assert 400 <= err.value.status < 500


def test_text_over_the_limit_is_413():
    service = nlp_service.load_phi(phi={"max_text_chars": 50, "secret": "t"})
    with pytest.raises(ServiceError) as err:
        service.deidentify("x" * 51)
    assert err.value.status == 413
