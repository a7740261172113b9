import re

import pytest

from nlp_service.errors import Errors


def test_errors_codes_are_unique_and_well_formed():
    specs = Errors.all()
    codes = [s.code for s in specs]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"E\d{3}", c) for c in codes)


@pytest.mark.parametrize("spec", Errors.all(), ids=lambda s: s.code)
def test_errors_status_matches_code_family(spec):
    # E1xx/E2xx/E4xx are client faults; E3xx/E5xx are server-side
    family = spec.code[1]
    if family in "124":
        assert 400 <= spec.status < 500
    else:
        assert spec.status >= 500


def test_errors_problem_details_shape():
    err = Errors.TEXT_TOO_LONG.error(length=10, limit=5, errors=[{"field": "text", "message": "too long"}])
    problem = err.to_problem(instance="/v1/records/analyze")
    assert problem == {
        "type": "urn:nlp-service:error:E104",
        "title": "Text too long",
        "status": 413,
        "detail": "The text has 10 characters; the limit is 5. Split the document or raise max_text_chars in the settings.",
        "code": "E104",
        "instance": "/v1/records/analyze",
        "errors": [{"field": "text", "message": "too long"}],
    }
    assert str(err).startswith("[E104] ")
