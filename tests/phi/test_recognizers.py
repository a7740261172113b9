"""Each identifier form the recognizers promise to find, and clinical words they must leave alone."""

import pytest

from tests.phi.conftest import found

POSITIVES = [
    # names: patients, relatives, clinicians, initials, titles, fielded, upper-case nursing notes
    ("Pt seen by Dr. Okonkwo this am.", "Okonkwo", "NAME"),
    ("Discussed with DR. VISWANATHAN.", "VISWANATHAN", "NAME"),
    ("Patient: Maria Gonzalez-Ruiz", "Maria Gonzalez-Ruiz", "NAME"),
    ("WIFE PEGGY AT BEDSIDE.", "PEGGY", "NAME"),
    ("Daughter Ama Boateng called.", "Ama Boateng", "NAME"),
    ("Signed: J. Whitfield, RN", "J. Whitfield", "NAME"),
    ("Attending: Priyanka Raghunath, MD", "Priyanka Raghunath", "NAME"),
    ("Name: SMITH, JOHN", "SMITH, JOHN", "NAME"),
    # dates in the forms notes use, with times next to them
    ("Admitted 3/4 with CP.", "3/4", "DATE"),
    ("Seen on 3/4/21.", "3/4/21", "DATE"),
    ("MRI 2021-03-04 showed", "2021-03-04", "DATE"),
    ("Surgery on March 4th.", "March 4th", "DATE"),
    ("Follow up on the 4th.", "the 4th", "DATE"),
    ("Last colonoscopy Mar '21.", "Mar '21", "DATE"),
    ("Labs drawn 03/04/2021 14:30.", "03/04/2021 14:30", "DATE"),
    # ages over 89 (not younger ones)
    ("92 yo F with CHF", "92", "AGE"),
    ("A 101-year-old man", "101", "AGE"),
    ("a ninety-two-year-old woman", "ninety-two", "AGE"),
    ("AGE: 101Y  SEX: F", "101", "AGE"),
    # phones, pagers, extensions, email, SSN
    ("Call (617) 555-0199 with results.", "(617) 555-0199", "PHONE"),
    ("Fax: 617.555.0142", "617.555.0142", "PHONE"),
    ("Page me at pager 4431.", "4431", "PHONE"),
    ("Clinic 617-555-0100 ext. 2234", "617-555-0100 ext. 2234", "PHONE"),
    ("Email jdoe@mercy-health.org today", "jdoe@mercy-health.org", "EMAIL"),
    ("SSN 123-45-6789", "123-45-6789", "ID"),
    # record, account, plan, licence, device and vehicle numbers
    ("MRN: 00412345", "00412345", "ID"),
    ("Acct # 88812345", "88812345", "ID"),
    ("Member ID: XJH123456789", "XJH123456789", "ID"),
    ("DEA BK1234563", "BK1234563", "ID"),
    ("Pacemaker serial number PJN448122", "PJN448122", "ID"),
    ("License plate 7ABC123", "7ABC123", "ID"),
    # web
    ("See https://portal.mercyhealth.org/login", "https://portal.mercyhealth.org/login", "URL"),
    ("Server 10.12.4.200 down", "10.12.4.200", "URL"),
    # places and organisations
    ("Lives at 1842 Oak Knoll Rd, Springfield, IL 62704", "1842 Oak Knoll Rd", "LOCATION"),
    ("Lives at 1842 Oak Knoll Rd, Springfield, IL 62704", "62704", "LOCATION"),
    ("Transferred from Mercy General Hospital.", "Mercy General Hospital", "ORGANIZATION"),
    ("Pt transferred from Quillfeather on 2/14.", "Quillfeather", "ORGANIZATION"),
    ("Insurance:  Piedmont Blue Advantage   ID YPQ906472118", "Piedmont Blue Advantage", "ORGANIZATION"),
    ("Lives with wife in Sausalito. Former smoker.", "Sausalito", "LOCATION"),
    ("Born in Cebu, Philippines; PPD positive.", "Philippines", "LOCATION"),
    ("Commercial driver (AL CDL 8841207)", "AL", "LOCATION"),
    # nursing shorthand: lower case, initials, relations, extensions
    ("wife mary in to visit, updated by dr jones", "mary", "NAME"),
    ("wife mary in to visit, updated by dr jones", "jones", "NAME"),
    ("SON JOHN AND DTR SUSAN AT BEDSIDE.", "SUSAN", "NAME"),
    ("Plan: F/U 3/15. JS RN", "JS", "NAME"),
    ("Day: Okoro (PGY1) p4312 -> Night float", "4312", "PHONE"),
    ("Rapid Response: dial 5-5555", "5-5555", "PHONE"),
    ("Member name (Last, First, MI): TAKAHASHI, KENJI R", "TAKAHASHI, KENJI R", "NAME"),
]


@pytest.mark.parametrize(("text", "surface", "kind"), POSITIVES)
def test_recognizer_finds(phi, text, surface, kind):
    hits = found(phi, text)
    covering = [(s, k) for s, k in hits if surface in s or s in surface and len(s) >= len(surface) // 2]
    assert covering, f"{surface!r} not found in {text!r}; found {hits}"
    assert any(k == kind for _, k in covering), f"{surface!r} found as {covering}, expected {kind}"


SAFE = [
    "History of Parkinson disease, on carbidopa.",
    "Foley catheter placed; Bell's palsy resolved.",
    "Apgar scores 8 and 9. Glasgow coma scale 15.",
    "Cushing syndrome workup. Tylenol 650 mg PRN.",
    "Hodgkin lymphoma in remission; Crohn's disease flare.",
    "Alzheimer dementia, Down syndrome, Graves disease.",
    "Swan-Ganz catheter removed. Babinski negative.",
    "Denies chest pain. BP 120/80, HR 72, 2/6 murmur.",
    "A 45 yo man with CHF, EF 35%. K 4.1, Cr 1.2.",
    "Metoprolol 25 mg PO BID, lisinopril 10 mg daily.",
    "Will follow up in clinic. May need stress test.",
]


@pytest.mark.parametrize("text", SAFE)
def test_clinical_text_is_left_alone(phi, text):
    assert found(phi, text) == set()


def test_finding_carries_type_offsets_score_and_recognizer(phi):
    text = "Seen by Dr. Patel on 3/4/21."
    findings = phi.detect(text)
    assert [(f.type.value, text[f.begin : f.end]) for f in findings] == [("NAME", "Patel"), ("DATE", "3/4/21")]
    for f in findings:
        assert 0.5 <= f.score <= 1.0
        assert f.recognizer.startswith("phi.") and f.recognizer.endswith(".v1")
        assert f.explanation
        assert f.text is None  # values only on request
    assert [f.text for f in phi.detect(text, return_originals=True)] == ["Patel", "3/4/21"]


def test_age_under_ninety_is_not_phi(phi):
    assert found(phi, "89 yo M, 45 year old F") == set()


def test_findings_do_not_overlap(phi):
    text = "Dr. Ann Lee, Mercy General Hospital, 1842 Oak Knoll Rd, Springfield, IL 62704, tel 617-555-0199"
    spans = sorted((f.begin, f.end) for f in phi.findings(text))
    assert all(a_end <= b_begin for (_, a_end), (b_begin, _) in zip(spans, spans[1:], strict=False))
