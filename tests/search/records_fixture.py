"""A small collection of clinical records for search tests (written for the tests; no PHI)."""

from __future__ import annotations

import json

RECORDS = [
    {"id": "r-pneumonia", "text": "Admitted with community acquired pneumonia. Right lower lobe consolidation on chest x-ray. "
     "Started ceftriaxone and azithromycin; fever resolved on day two.", "metadata": {"dept": "medicine", "year": 2024}},
    {"id": "r-knee", "text": "Chronic left knee osteoarthritis with pain on stairs. Failed injections; scheduled for total knee "
     "arthroplasty.", "metadata": {"dept": "orthopedics", "year": 2023}},
    {"id": "r-nstemi", "text": "Crushing chest pain radiating to the left arm. Troponin rising; NSTEMI. Heparin drip and "
     "cardiology consult; catheterization showed a 90% LAD lesion.", "metadata": {"dept": "cardiology", "year": 2024}},
    {"id": "r-asthma", "text": "Asthma exacerbation after a viral illness. Wheezing throughout, peak flow 50% of predicted. "
     "Albuterol nebulizers and prednisone.", "metadata": {"dept": "medicine", "year": 2022}},
    {"id": "r-uti", "text": "Dysuria and urinary frequency for three days. Urinalysis positive for nitrites. Cystitis "
     "treated with nitrofurantoin.", "metadata": {"dept": "primary care", "year": 2024}},
    {"id": "r-long", "text": ("Follow-up visit. " * 40) + "The patient also reports new onset atrial fibrillation with "
     "palpitations, started apixaban. " + ("Routine labs reviewed. " * 40), "metadata": {"dept": "cardiology", "year": 2021}},
]


def jsonl(records=RECORDS) -> list[str]:
    return [json.dumps(r) for r in records]
