import hashlib
import json

import pytest

from nlp_service.resources import LEXICON_DIR, available_lexicons, load_lexicon, load_rules
from nlp_service.resources.build import build, clean_icd_term, variants

SEED = load_rules("icd10cm_seed.json")


def test_lexicons_shipped_with_targets_met():
    assert set(available_lexicons()) >= {"problems", "medications", "tests_procedures", "anatomy"}
    assert len(load_lexicon("problems")) >= 1500
    assert len(load_lexicon("medications")) >= 500
    assert len(load_lexicon("tests_procedures")) >= 200
    assert len(load_lexicon("anatomy")) >= 150


@pytest.mark.parametrize("name", ["problems", "medications", "tests_procedures", "anatomy"])
def test_lexicons_well_formed(name):
    ids = set()
    for concept in load_lexicon(name):
        assert concept["id"] not in ids
        ids.add(concept["id"])
        assert concept["terms"] or concept["case_sensitive"]
        assert concept["source"] in {"curated", "icd10cm"}
        if name == "problems":
            assert concept["type"] in {"diagnosis", "symptom", "sign"}
            assert all(c["code"] and c["display"] for c in concept["codes"])


def test_lexicons_manifest_matches_files():
    manifest = json.loads((LEXICON_DIR / "MANIFEST.json").read_text())
    for name, info in manifest["lexicons"].items():
        digest = hashlib.sha256((LEXICON_DIR / f"{name}.jsonl").read_bytes()).hexdigest()
        assert digest == info["sha256"], f"{name}.jsonl changed without a rebuild"
    for source, digest in manifest["sources_sha256"].items():
        assert hashlib.sha256((LEXICON_DIR / "sources" / source).read_bytes()).hexdigest() == digest


@pytest.mark.slow
def test_lexicons_build_is_deterministic(tmp_path):
    manifest = build(tmp_path)
    for name, _info in manifest["lexicons"].items():
        assert (tmp_path / f"{name}.jsonl").read_bytes() == (LEXICON_DIR / f"{name}.jsonl").read_bytes(), name


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Essential (primary) hypertension", "essential hypertension"),
        ("Pain in right knee", "knee pain"),
        ("Esophageal reflux NOS", "esophageal reflux"),
        ("Unspecified dementia", "dementia"),
        ("Other specified disorders of kidney", None),
        ("Type 2 diabetes mellitus with diabetic chronic kidney disease", None),
        ("Personal history of nicotine dependence", None),
        ("Pain, unspecified", None),
    ],
)
def test_lexicons_icd_terms_cleaned_to_clinical_phrasing(description, expected):
    assert clean_icd_term(description, SEED) == expected


@pytest.mark.parametrize(
    ("term", "expected"),
    [("a-fib", ["a-fib", "a fib", "afib"]), ("Retin-A", ["Retin-A", "Retin A"]),
     ("Parkinson's disease", ["Parkinson's disease", "Parkinson disease", "Parkinsons disease"])],
)
def test_lexicons_spelling_variants(term, expected):
    assert variants(term) == expected


@pytest.mark.parametrize("name", ["context_rules.json", "sections.json", "sentences.json", "medication_attributes.json",
                                  "concept_composition.json", "normalization.json", "icd10cm_seed.json"])
def test_lexicons_rule_files_state_provenance(name):
    assert load_rules(name)["provenance"]


def test_lexicons_context_rule_ids_unique():
    rules = load_rules("context_rules.json")["context_rules"]
    ids = [r["metadata"]["id"] for r in rules]
    assert len(ids) == len(set(ids)) and len(ids) > 300
