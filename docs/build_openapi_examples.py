"""Write the OpenAPI request and response examples (nlp_service/resources/rules/openapi_examples.json).

The requests are written here by hand (synthetic notes; no real patient); each response is what the
service answers to it, trimmed to a readable size (long lists cut to their first items, long strings
cut). A test checks that every example still validates against its schema.

    python docs/build_openapi_examples.py
"""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path
from typing import Any

from nlp_service.api import create_app

NOTE = ("HPI: 67 yo man with type 2 diabetes and hypertension presents with chest pain for 2 days. "
        "Denies fever. No history of MI. Mother had breast cancer.\n"
        "Medications: metformin 500 mg PO BID; lisinopril 10 mg daily.\n"
        "Plan: ECG and troponin. Possible pneumonia; chest x-ray today.")
REQUESTS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "records.analyze": ("POST", "/v1/records/analyze", {"text": NOTE}),
    "phi.deidentify": ("POST", "/v1/deidentify", {"text": "Seen by Dr. Alice Moreno on 03/14/2026. MRN 48213967. Call 617-555-0142.",
                                                  "operator": "surrogate"}),
    "phi.detect": ("POST", "/v1/phi/detect", {"text": "Seen by Dr. Alice Moreno on 03/14/2026. MRN 48213967."}),
    "triage.triage": ("POST", "/v1/triage", {"text": "My 6 week old has a fever of 38.5 and is not feeding well", "explain": True}),
    "qa.qa": ("POST", "/v1/qa", {"question": "What are the side effects of metformin?", "k": 1}),
    "qa.kbs": ("GET", "/v1/kbs", None),
    "linking.link": ("POST", "/v1/link", {"mentions": ["CHF exacerbation", {"text": "MI", "history": True}], "k": 2}),
    "search.search": ("POST", "/v1/search", {"index": "notes", "query": "shortness of breath on exertion", "k": 2, "mode": "hybrid"}),
    "search.indexes": ("GET", "/v1/indexes", None),
    "search.index_info": ("GET", "/v1/indexes/notes", None),
    "fhir.analyze": ("POST", "/fhir/r4/DocumentReference/$analyze", {
        "resourceType": "DocumentReference", "id": "note-1", "status": "current", "subject": {"reference": "Patient/p1"},
        "content": [{"attachment": {"contentType": "text/plain; charset=utf-8",
                                    "data": base64.b64encode(b"Denies chest pain. Started metformin 500 mg PO BID.").decode()}}]}),
    "fhir.deidentify": ("POST", "/fhir/r4/$deidentify", {
        "resourceType": "DocumentReference", "status": "current", "subject": {"reference": "Patient/p1"},
        "content": [{"attachment": {"contentType": "text/plain",
                                    "data": base64.b64encode(b"Seen by Dr. Alice Moreno on 03/14/2026. MRN 48213967.").decode()}}]}),
    "health.healthz": ("GET", "/healthz", None),
    "health.readyz": ("GET", "/readyz", None),
}
RECORDS = [  # the synthetic collection the search examples run against
    {"id": "n1", "text": "Progressive shortness of breath on exertion and ankle swelling; echo shows reduced EF.", "metadata": {"clinic": "cardiology"}},
    {"id": "n2", "text": "Itchy rash on both forearms after starting a new laundry detergent.", "metadata": {"clinic": "dermatology"}},
    {"id": "n3", "text": "Wheeze and breathlessness when climbing stairs; uses salbutamol inhaler twice a week.", "metadata": {"clinic": "respiratory"}},
]
OUT = Path(__file__).resolve().parents[1] / "nlp_service" / "resources" / "rules" / "openapi_examples.json"


def trim(value: Any, items: int = 3, chars: int = 400) -> Any:
    if isinstance(value, dict):
        return {k: trim(v, items, chars) for k, v in value.items()}
    if isinstance(value, list):
        return [trim(v, items, chars) for v in value[:items]]
    if isinstance(value, str) and len(value) > chars:
        return value[:chars] + "…"
    return value


def main() -> None:
    work = Path(tempfile.mkdtemp())
    app = create_app(auth={"enabled": False, "keys_db": str(work / "keys.db"), "audit_db": str(work / "audit.db")},
                     limits={"storage_uri": "memory://"}, search={"data_dir": str(work / "indexes")})
    from nlp_service.api import search

    with app.app_context():
        search.service().build("notes", [json.dumps(r) for r in RECORDS])
    client = app.test_client()
    headers: dict[str, str] = {}
    operations = {}
    for endpoint, (method, path, body) in REQUESTS.items():
        response = client.open(path, method=method, json=body, headers=headers,
                               content_type="application/fhir+json" if path.startswith("/fhir") else "application/json")
        if response.status_code != 200:
            raise SystemExit(f"{endpoint}: {response.status_code} {response.get_data(as_text=True)[:300]}")
        example: dict[str, Any] = {"response": trim(response.get_json())}
        if body is not None:
            example = {"request": body, **example}
        operations[endpoint] = example
    OUT.write_text(json.dumps({
        "provenance": "Requests written by the nlp-service team (synthetic text, no real patient); responses are the "
                      "service's own answers to them, trimmed (docs/build_openapi_examples.py).",
        "version": 1, "operations": operations}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(operations)} examples to {OUT}")


if __name__ == "__main__":
    main()
