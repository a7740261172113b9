import pytest
from pydantic import ValidationError

from nlp_service.schemas import AnalyzeRequest, Assertion, Entity


def test_schemas_request_accepts_terms():
    req = AnalyzeRequest.model_validate({"text": "x", "terms": [{"text": " chest pain ", "category": "PROBLEM"}]})
    assert req.terms[0].text == "chest pain"


@pytest.mark.parametrize(
    "body",
    [
        {"text": "x", "extra": 1},
        {"text": 5},
        {"text": "x", "terms": [{"text": "", "category": "PROBLEM"}]},
        {"text": "x", "terms": [{"text": "a", "category": "DISEASE"}]},
        {"text": "x", "terms": "chest pain"},
        {},
    ],
)
def test_schemas_request_rejects_bad_bodies(body):
    with pytest.raises(ValidationError):
        AnalyzeRequest.model_validate(body)


def test_schemas_entity_defaults_are_the_default_assertion():
    entity = Entity(text="x", begin=0, end=1, category="PROBLEM")
    assert entity.assertion == Assertion()
    assert entity.model_dump(mode="json")["assertion"] == {
        "certainty": "positive", "temporality": "current", "subject": "patient"}
