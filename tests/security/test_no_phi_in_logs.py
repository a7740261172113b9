"""A note with a known name and MRN goes through every text endpoint, failing requests included;
neither string may appear in any log line (caplog, the service's own JSON handler, raw stderr and
stdout) or in the audit log (its records and its raw database files)."""

from __future__ import annotations

import io
import json
import logging
import urllib.parse

import pytest

from nlp_service.config import SearchSettings
from nlp_service.search.service import SearchService

from ..api.helpers import call, post

NAME, MRN = "Jonathan Whitfield", "48213967"
NOTE = (f"Patient {NAME}, MRN {MRN}, seen 3/4/2026 by Dr. Okafor. Denies chest pain. "
        "Reports shortness of breath on exertion; history of asthma.")
SECRETS = (NAME, "Whitfield", MRN)


@pytest.fixture()
def phi_index(app, tmp_path, monkeypatch):
    """A search collection holding the note, served by the session app for this test only."""
    settings = app.extensions["nlp_service.settings"]
    service = SearchService(SearchSettings(data_dir=str(tmp_path / "indexes")), settings.embeddings)
    service.build("phi-notes", [json.dumps({"id": "n1", "text": NOTE, "metadata": {"unit": "4W"}}),
                                json.dumps({"id": "n2", "text": "Knee pain after a fall.", "metadata": {}})])
    monkeypatch.setitem(app.extensions, "nlp_service.search", service)
    return service


@pytest.fixture()
def captured_logs(caplog):
    """Everything logged while the test runs: caplog (root, and the service's logger, which does not
    propagate) at DEBUG, and what the service's real handlers write, with their real formatters."""
    service_logger = logging.getLogger("nlp_service")
    streams = []
    for handler in [*service_logger.handlers, *logging.getLogger().handlers]:
        if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
            buffer = io.StringIO()
            streams.append((handler, handler.setStream(buffer), buffer))
    service_logger.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="nlp_service")
    try:
        yield lambda: [caplog.text, *[r.getMessage() for r in caplog.records], *[b.getvalue() for _h, _s, b in streams]]
    finally:
        service_logger.removeHandler(caplog.handler)
        for handler, old, _buffer in streams:
            handler.setStream(old)


def test_no_name_or_mrn_in_any_log_or_audit_record(app, live_server, phi_index, captured_logs, capfd, monkeypatch):
    audit = app.extensions["nlp_service.auth"].audit
    before = audit.last_seq()
    ok = [
        ("/v1/records/analyze", {"text": NOTE, "include_phi": True}),
        ("/v1/deidentify", {"text": NOTE, "return_originals": True, "operator": "surrogate"}),
        ("/v1/phi/detect", {"text": NOTE, "return_originals": True}),
        ("/v1/triage", {"text": NOTE, "explain": True}),
        ("/v1/qa", {"question": f"{NAME} (MRN {MRN}) asks: what are the symptoms of asthma?"}),
        ("/v1/search", {"index": "phi-notes", "query": NOTE, "k": 2}),
        ("/v1/link", {"mentions": [f"asthma in {NAME} MRN {MRN}"]}),
    ]
    for path, body in ok:
        status, _h, data = post(live_server, path, json.dumps(body).encode())
        assert status == 200, (path, data)
    failing = [
        ("/v1/records/analyze", {"text": NOTE, "include_phi": "yes"}, 400),
        ("/v1/records/analyze", {"text": NOTE * 1000}, 413),
        ("/v1/deidentify", {"text": NOTE, "operator": NAME}, 400),
        ("/v1/search", {"index": NAME, "query": NOTE}, 400),
        ("/v1/qa", {"question": NOTE, "kb": MRN}, 404),
        ("/v1/triage", {"text": NOTE, "model": NAME}, 400),
    ]
    for path, body, expected in failing:
        status, _h, _data = post(live_server, path, json.dumps(body).encode())
        assert status == expected, (path, status)
    # a client that puts PHI in the path, one without a key, and one whose request crashes the view
    # with an exception that quotes the note
    assert call(live_server, "/v1/indexes/" + urllib.parse.quote(f"{NAME} {MRN}"))[0] in (400, 404)
    assert post(live_server, "/v1/triage", json.dumps({"text": NOTE}).encode(), auth=False)[0] == 401
    message = f"could not triage {NOTE}"

    def crash(*_args, **_kwargs):
        raise RuntimeError(message)

    monkeypatch.setattr(app.extensions["nlp_service.triage"], "triage", crash)
    assert post(live_server, "/v1/triage", json.dumps({"text": NOTE}).encode())[0] == 500

    logs = captured_logs()
    out, err = capfd.readouterr()
    everything = "\n".join([*logs, out, err])
    assert everything.count('"path": "/v1/records/analyze"') >= 3  # the capture did see the access log
    assert '"error": "RuntimeError"' in everything
    for secret in SECRETS:
        assert secret not in everything, f"{secret!r} in the logs"
        assert urllib.parse.quote(secret) not in everything
    records = audit.query(after_seq=before, limit=None)
    assert len(records) == len(ok) + len(failing) + 3
    for secret in SECRETS:
        assert secret not in json.dumps(records)
    on_disk = b"".join(p.read_bytes() for p in audit.db.path.parent.glob(audit.db.path.name + "*"))
    for secret in SECRETS:
        assert secret.encode() not in on_disk
