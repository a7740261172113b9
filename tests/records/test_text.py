import pytest

from nlp_service.records.text import fold, make_nlp


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Nodules", "nodule"), ("extremities", "extremity"), ("UTIs", "uti"), ("PVCs", "pvc"),
        ("masses", "mass"), ("abscesses", "abscess"), ("diabetes", "diabetes"), ("does", "does"),
        ("sepsis", "sepsis"), ("has", "has"), ("oedema", "edema"), ("Haemorrhage", "hemorrhage"),
        ("HTN", "htn"), ("pneumonia", "pneumonia"), ("ribs", "rib"), ("pnuemonia", "pneumonia"),
    ],
)
def test_text_fold(word, expected):
    assert fold(word) == expected


def test_text_nlp_norm_uses_fold_for_new_and_existing_words():
    nlp = make_nlp()
    doc = nlp("Bilateral lower extremities with oedema. Don't")
    assert [t.norm_ for t in doc][:5] == ["bilateral", "lower", "extremity", "with", "edema"]
    assert doc.text == "Bilateral lower extremities with oedema. Don't"
