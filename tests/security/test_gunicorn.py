"""The whole stack under gunicorn with two worker processes: the app is built (and the SQLite files
opened) in the master, then forked; keys, rate-limit counters, the audit log and the Prometheus
counters are shared."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from nlp_service.security.audit import AuditLog
from nlp_service.security.keys import KeyStore

from ..api.helpers import call

BIN = Path(sys.executable).parent / "nlp-service"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_workers_share_keys_limits_and_the_audit_log(tmp_path):
    port = _free_port()
    env = {**os.environ, "NLP_SERVICE__SERVICE__WORKERS": "2", "NLP_SERVICE__SERVICE__THREADS": "2",
           "NLP_SERVICE__AUTH__KEYS_DB": str(tmp_path / "keys.sqlite3"),
           "NLP_SERVICE__AUTH__AUDIT_DB": str(tmp_path / "audit.sqlite3"),
           "NLP_SERVICE__LIMITS__STORAGE_URI": f"sqlite:///{tmp_path / 'rl.sqlite3'}",
           "NLP_SERVICE__LIMITS__RATE": "6/minute", "NLP_SERVICE__SEARCH__DATA_DIR": str(tmp_path / "indexes")}
    store = KeyStore(tmp_path / "keys.sqlite3")
    key, token = store.create("gunicorn test", ["search"])
    proc = subprocess.Popen([str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise AssertionError(proc.stderr.read().decode()[-2000:]) from None
                time.sleep(0.5)
        headers = {"Authorization": f"Bearer {token}"}
        statuses = [call(base, "/v1/indexes", headers={**headers, "X-Request-ID": f"g-{i}"}, auth=False)[0]
                    for i in range(9)]
        assert statuses == [200] * 6 + [429] * 3  # one budget, whichever worker answered
        store.revoke(key.key_id)  # revoked from another process: refused at once by every worker
        assert [call(base, "/v1/indexes", headers=headers, auth=False)[0] for _ in range(4)] == [401] * 4
        with urllib.request.urlopen(base + "/readyz", timeout=10) as resp:
            assert resp.status == 200 and json.loads(resp.read())["status"] == "ready"
        # /metrics adds up both workers' counters, whichever worker serves it
        for _ in range(3):
            with urllib.request.urlopen(base + "/metrics", timeout=10) as resp:
                metrics = resp.read().decode()
            assert 'nlp_service_requests_total{endpoint="/v1/indexes",method="GET",status="200"} 6.0' in metrics
            assert 'nlp_service_requests_total{endpoint="/v1/indexes",method="GET",status="429"} 3.0' in metrics
            assert 'nlp_service_requests_total{endpoint="/v1/indexes",method="GET",status="401"} 4.0' in metrics
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    records = AuditLog(tmp_path / "audit.sqlite3").query(limit=None)
    mine = [r for r in records if r["request_id"].startswith("g-")]
    assert [(r["request_id"], r["status"]) for r in mine] == [(f"g-{i}", s) for i, s in enumerate(statuses)]
    assert sum(r["status"] == 401 for r in records) == 4
    assert AuditLog(tmp_path / "audit.sqlite3").verify()["ok"]
    access = [json.loads(line) for line in err.decode().splitlines() if '"logger": "nlp_service.access"' in line]
    assert sum(line["status"] == 429 for line in access) == 3
