"""HTTP load: requests/s, p50 and p99 for /v1/triage and /v1/records/analyze at 1, 8 and 32 clients.

Starts ``nlp-service serve`` (gunicorn, workers sized to the machine, auth, rate limiting off, audit
on) on loopback with its keys, audit log and counters in a temporary folder, drives it with wrk
(Debian: ``apt-get install wrk``), then does the same work in process in the same run: the same
number of processes as gunicorn workers, each calling the service in a loop. The overhead ratio is
HTTP requests/s over in-process calls/s.

    python benchmarks/http_load.py [--seconds 20] [--write]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from results_file import write_section

ROOT = Path(__file__).resolve().parents[1]
NOTE = (ROOT / "corpora" / "notes" / "gold" / "cn_001.txt").read_text(encoding="utf-8")
NOTE_2KB = NOTE[: NOTE.rfind("\n", 0, 2048)]  # a 2 KB note, cut at a line end
MESSAGE = "My 6 year old has had a fever of 39 since yesterday and a sore throat, she is drinking ok. Should we see someone today?"
ENDPOINTS = {
    "/v1/triage": {"text": MESSAGE, "explain": False},
    "/v1/records/analyze": {"text": NOTE_2KB},
}
LUA = """wrk.method = "POST"
wrk.body = io.open("{body}", "rb"):read("*a")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, script: Path, clients: int, seconds: int) -> dict[str, float]:
    out = subprocess.run(["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout", "30s",
                          "-s", str(script), url], capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s*(50|99)%\s+([\d.]+(?:us|ms|s|m))\s*$", out, re.M))
    if set(latency) != {"50", "99"}:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": to_ms(latency["50"]),
            "p99": to_ms(latency["99"]), "non_2xx": int(errors.group(1)) if errors else 0,
            "requests": int(re.search(r"(\d+) requests in", out).group(1))}


def _in_process(endpoint: str, seconds: float, queue: mp.Queue) -> None:
    from nlp_service.config import load_settings

    settings = load_settings()
    body = ENDPOINTS[endpoint]
    if endpoint == "/v1/triage":
        from nlp_service.triage.service import TriageService

        service = TriageService(settings.triage)
        call = lambda: service.triage(body["text"], None, False).model_dump_json()  # noqa: E731
    else:
        from nlp_service import record_analyzer

        analyzer = record_analyzer(settings)
        analyzer.prepare()
        call = lambda: analyzer.analyze(body["text"]).model_dump_json()  # noqa: E731
    for _ in range(3):
        call()
    done, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        call()
        done += 1
    queue.put(done / seconds)


def in_process(endpoint: str, processes: int, seconds: float) -> float:
    """Calls/s of the same work in ``processes`` processes (as many as gunicorn workers), summed."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    workers = [ctx.Process(target=_in_process, args=(endpoint, seconds, queue)) for _ in range(processes)]
    for w in workers:
        w.start()
    rates = [queue.get(timeout=600) for _ in workers]
    for w in workers:
        w.join()
    return sum(rates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker (default: service.threads)")
    parser.add_argument("--clients", default="1,8,32", help="concurrent clients, comma-separated")
    parser.add_argument("--only", choices=sorted(ENDPOINTS), help="one endpoint only")
    parser.add_argument("--audit-sync", choices=("FULL", "NORMAL"), help="auth.audit_sync for the server (default FULL)")
    parser.add_argument("--write", action="store_true", help="write the section http_load of benchmarks/RESULTS.md")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    from nlp_service.security.keys import KeyStore
    from nlp_service.serve import default_workers

    work = Path(tempfile.mkdtemp(prefix="http-load-"))
    _key, token = KeyStore(work / "keys.sqlite3").create("load", ["admin"])
    port = free_port()
    env = {**os.environ, "NLP_SERVICE__AUTH__KEYS_DB": str(work / "keys.sqlite3"),
           "NLP_SERVICE__AUTH__AUDIT_DB": str(work / "audit.sqlite3"), "NLP_SERVICE__LIMITS__RATE": "",
           "NLP_SERVICE__SERVICE__LOG_LEVEL": "WARNING"}
    if args.threads:
        env["NLP_SERVICE__SERVICE__THREADS"] = str(args.threads)
    if args.audit_sync:
        env["NLP_SERVICE__AUTH__AUDIT_SYNC"] = args.audit_sync
    endpoints = {args.only: ENDPOINTS[args.only]} if args.only else ENDPOINTS
    clients_list = [int(c) for c in args.clients.split(",")]
    workers = default_workers()
    server = subprocess.Popen([str(Path(sys.executable).parent / "nlp-service"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    rows = []
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(1)
        else:
            sys.exit("the server did not become ready")
        for endpoint, body in endpoints.items():
            body_file = work / (endpoint.strip("/").replace("/", "_") + ".json")
            body_file.write_text(json.dumps(body), encoding="utf-8")
            script = work / (body_file.stem + ".lua")
            script.write_text(LUA.format(body=body_file, token=token), encoding="utf-8")
            wrk(base + endpoint, script, 2, 3)  # warm every worker
            for clients in clients_list:
                result = wrk(base + endpoint, script, clients, args.seconds)
                rows.append({"endpoint": endpoint, "clients": clients, **result})
                print(json.dumps(rows[-1]), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=60)
    inproc = {endpoint: in_process(endpoint, workers, args.seconds) for endpoint in endpoints}
    print(json.dumps({"in_process": inproc}), flush=True)
    lines = [
        f"`python benchmarks/http_load.py --seconds {args.seconds} --write`; machine: {platform.machine()}, {os.cpu_count()} CPU "
        f"threads; gunicorn with {workers} workers (gthread, {args.threads or 'service.threads'} threads each), API key auth and the audit log on (one SQLite append per request, "
        f"synchronous={args.audit_sync or os.environ.get('NLP_SERVICE__AUTH__AUDIT_SYNC', 'FULL')}), rate limiting off; wrk 4.1 on the same machine (it shares the cores). In process: {workers} processes "
        f"calling the same service in a loop for {args.seconds} s, in the same run. Triage body: a {len(MESSAGE)}-character "
        f"message (explain off); analyze body: a {len(NOTE_2KB):,}-character note (corpora/notes/gold/cn_001.txt, cut).",
        "",
        "| endpoint | clients | requests/s | p50 ms | p99 ms | non-2xx | HTTP / in process |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ratio = row["rps"] / inproc[row["endpoint"]]
        lines.append(f"| `{row['endpoint']}` | {row['clients']} | {row['rps']:.1f} | {row['p50']:.1f} | {row['p99']:.1f} | "
                     f"{row['non_2xx']} | {ratio:.0%} |")
    lines.append("")
    lines.append("In process: " + ", ".join(f"`{e}` {r:.1f} calls/s" for e, r in inproc.items()) + ".")
    best = {e: max(r["rps"] for r in rows if r["endpoint"] == e) / inproc[e] for e in endpoints}
    p99_8 = next((r["p99"] for r in rows if r["endpoint"] == "/v1/records/analyze" and r["clients"] == 8), None)
    if p99_8 is not None:
        lines.append(f"Target: analyze p99 at 8 clients ≤ 150 ms: **{p99_8:.0f} ms** ({'met' if p99_8 <= 150 else 'missed'}).")
    lines.append("Target: throughput ≥ 70% of in process (best concurrency): "
                 + ", ".join(f"`{e}` **{v:.0%}**" for e, v in best.items()) + ".")
    lines += ["", "How the serving defaults were chosen (this script, same machine, analyze at 8 clients; "
              "`--only /v1/records/analyze --clients 8 --threads N`, keep-alive through `NLP_SERVICE__SERVICE__KEEPALIVE`):",
              "runs made before `gc.freeze()` was added, 10-15 s each: keep-alive 5 s with 2 threads: 83.6 requests/s, p99 647 ms (a worker keeps its connections, so requests queue "
              "behind a busy worker); no keep-alive: 1 thread 82.8/190 ms, 2 threads 82.2/196 ms, 4 threads 74.3/801 ms, 8 threads "
              "75.8/499 ms (CPU-bound work sharing the GIL). Without `gc.freeze()` after the preload, full collections walking "
              "the loaded models put p99 near 1,000 ms in most runs; after it, 204 and 213 ms in two 15 s runs.",
              "With `auth.audit_sync = \"NORMAL\"` (no fsync per audit record; `--only /v1/triage --clients 8,32 "
              "--audit-sync NORMAL`): triage 270.1 requests/s at 8 clients (p99 60.9 ms) and 277.7 at 32, 72% of in process "
              "(383.9 calls/s), against 65% with FULL.",
              "The analyze p99 target is out of reach on 2 cores: one 2 KB note takes about 24 ms of one core, so 8 requests in "
              "flight on 2 cores wait about 95 ms on average before any HTTP cost, and p99 is 2-3 times that."]
    text = "\n".join(lines)
    print(text)
    if args.write:
        write_section("http_load", "## HTTP load (`benchmarks/http_load.py`)\n\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
