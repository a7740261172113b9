"""De-identification operators: masks, surrogates (consistent within a document and a patient),
date shifts, keyed hashes, and the replaced-span report."""

import re

import pytest

import nlp_service
from nlp_service.errors import ServiceError

NOTE = ("Pt John Whitfield seen 3/4/21 by Dr. Okonkwo. Call 617-555-0199. MRN 00412345.\n"
        "Whitfield reports improvement since 3/1/21. Dr. Okonkwo to follow up. Denies chest pain.")


def test_mask_replaces_every_finding_with_its_type(phi):
    result = phi.deidentify(NOTE, "mask")
    assert "Whitfield" not in result.text and "617-555-0199" not in result.text and "00412345" not in result.text
    assert "[NAME]" in result.text and "[DATE]" in result.text and "[PHONE]" in result.text and "[ID]" in result.text
    assert "Denies chest pain." in result.text


def test_redact(phi):
    result = phi.deidentify("Seen by Dr. Okonkwo.", "redact")
    assert result.text == "Seen by Dr. [REDACTED]."


def test_replacements_map_both_texts(phi):
    result = phi.deidentify(NOTE, "surrogate", return_originals=True)
    for r in result.findings:
        assert NOTE[r.begin : r.end] == r.text
        assert result.text[r.new_begin : r.new_end] == r.replacement
        assert r.operator == "surrogate"


def test_originals_only_on_request(phi):
    assert all(r.text is None for r in phi.deidentify(NOTE).findings)


def test_surrogates_are_consistent_within_a_document(phi):
    result = phi.deidentify(NOTE, "surrogate")
    names = {r.replacement for r in result.findings if NOTE[r.begin : r.end] == "Okonkwo"}
    assert len(names) == 1 and "Okonkwo" not in names
    surnames = [r.replacement for r in result.findings if NOTE[r.begin : r.end].endswith("Whitfield")]
    assert surnames[0].split()[-1] == surnames[1]  # "John Whitfield" ... "Whitfield"


def test_surrogates_follow_the_patient_key_across_documents(phi):
    a = phi.deidentify("Seen by Dr. Okonkwo.", "surrogate", patient_key="patient-1")
    b = phi.deidentify("Dr. Okonkwo called.", "surrogate", patient_key="patient-1")
    c = phi.deidentify("Seen by Dr. Okonkwo.", "surrogate", patient_key="patient-2")
    assert a.findings[0].replacement == b.findings[0].replacement
    assert a.text != c.text or a.findings[0].replacement != c.findings[0].replacement


def test_without_patient_key_documents_get_independent_surrogates(phi):
    texts = {phi.deidentify("Seen by Dr. Okonkwo on 3/4/21.", "surrogate").text for _ in range(5)}
    assert len(texts) > 1


def test_shift_dates_keeps_intervals_and_format(phi):
    result = phi.deidentify("Admitted 3/1/2021, discharged 3/4/2021.", "shift_dates", patient_key="p")
    dates = re.findall(r"\d{1,2}/\d{1,2}/\d{4}", result.text)
    assert len(dates) == 2 and dates != ["3/1/2021", "3/4/2021"]
    from datetime import datetime

    a, b = (datetime.strptime(d, "%m/%d/%Y") for d in dates)
    assert (b - a).days == 3
    again = phi.deidentify("Admitted 3/1/2021.", "shift_dates", patient_key="p")
    assert re.findall(r"\d{1,2}/\d{1,2}/\d{4}", again.text)[0] == dates[0]


def test_per_type_operators(phi):
    result = phi.deidentify(NOTE, "mask", {"DATE": "shift_dates"}, patient_key="k")
    assert "[DATE]" not in result.text and "[NAME]" in result.text
    assert {r.operator for r in result.findings if r.type.value == "DATE"} == {"shift_dates"}


def test_hash_is_keyed_and_stable(phi):
    a = phi.deidentify("MRN 00412345", "hash").text
    b = phi.deidentify("MRN 00412345", "hash").text
    other_secret = nlp_service.load_phi(phi={"secret": "another-secret"}).deidentify("MRN 00412345", "hash").text
    assert a == b and re.fullmatch(r"MRN \[ID:[0-9a-f]{12}\]", a)
    assert a != other_secret


def test_unknown_operator_names_the_choices(phi):
    with pytest.raises(ServiceError) as err:
        phi.deidentify(NOTE, "scramble")
    assert err.value.code == "E108" and err.value.status == 400
    for name in ("redact", "mask", "surrogate", "hash", "shift_dates"):
        assert name in err.value.detail


def test_unknown_type_in_per_type_operators(phi):
    with pytest.raises(ServiceError) as err:
        phi.deidentify(NOTE, "mask", {"DISEASE": "mask"})
    assert err.value.code == "E109" and "NAME" in err.value.detail


def test_operator_names_are_case_insensitive(phi):
    assert phi.deidentify("Seen by Dr. Okonkwo.", "MASK", {"name": "Redact"}).text == "Seen by Dr. [REDACTED]."


def test_surrogates_keep_shape_and_gender(phi):
    ip = phi.deidentify("Server 10.24.7.113 down", "surrogate").findings[0].replacement
    assert re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", ip) and ip != "10.24.7.113"
    from nlp_service.phi.operators import _genders

    male, female = _genders()
    for text, pool in (("husband Luis called", male), ("wife Maria called", female)):
        new = phi.deidentify(text, "surrogate").findings[0].replacement.lower()
        assert new in pool, (text, new)
