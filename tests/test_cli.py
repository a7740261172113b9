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

from nlp_service.cli import main

from .api.helpers import AUTH

BIN = Path(sys.executable).parent / "nlp-service"


def test_cli_analyze_file_prints_the_api_json(tmp_path, capsys):
    note = tmp_path / "note.txt"
    note.write_text("Denies chest pain. H/o HTN.", encoding="utf-8")
    assert main(["analyze", str(note), "--term", "chest pain:PROBLEM", "--compact"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"sections", "sentences", "entities"} <= data.keys()
    chest = next(e for e in data["entities"] if e["text"] == "chest pain")
    assert chest["source"] == "request" and chest["assertion"]["certainty"] == "negated"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["analyze", "/no/such/file.txt"], b"", "[E400]"),
        (["analyze", "-"], b"\xff\xfe bad", "[E103]"),
        (["analyze", "-", "--term", "zebra:NOTACATEGORY"], b"zebra", "[E101]"),
    ],
)
def test_cli_bad_input_exit_code_and_message(args, stdin, message):
    proc = subprocess.run([str(BIN), *args], input=stdin, capture_output=True, timeout=120)
    assert proc.returncode == 2
    assert message in proc.stderr.decode()
    assert proc.stdout == b""


def test_cli_analyze_stdin_in_a_real_process():
    proc = subprocess.run([str(BIN), "analyze", "-", "--compact"], input=b"No fever.",
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    assert data["entities"][0]["assertion"]["certainty"] == "negated"


def test_cli_bad_term_syntax_is_a_usage_error():
    proc = subprocess.run([str(BIN), "analyze", "-", "--term", "nocolon"], input=b"x", capture_output=True, timeout=60)
    assert proc.returncode == 2
    assert "TEXT:CATEGORY" in proc.stderr.decode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_cli_serve_gunicorn_end_to_end():
    port = _free_port()
    env = {**os.environ, "NLP_SERVICE__SERVICE__WORKERS": "1"}
    proc = subprocess.Popen([str(BIN), "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                    assert resp.status == 200
                    break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise AssertionError(proc.stderr.read().decode()[-2000:]) from None
                time.sleep(0.5)
        secret = "Patient John Q Zebrowski MRN 8812345 denies chest pain."
        req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/records/analyze",
                                     data=json.dumps({"text": secret}).encode(),
                                     headers={"Content-Type": "application/json", **AUTH})
        with urllib.request.urlopen(req, timeout=60) as resp:
            data = json.loads(resp.read())
        assert any(e["text"] == "chest pain" and e["assertion"]["certainty"] == "negated" for e in data["entities"])
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    logs = err.decode()
    assert '"path": "/v1/records/analyze"' in logs
    # no note text in the logs
    assert "Zebrowski" not in logs and "8812345" not in logs


def test_cli_components_lists_registered_names(capsys):
    assert main(["components"]) == 0
    listed = json.loads(capsys.readouterr().out)["records"]
    assert "nlp_service_assertions_v1" in listed and "nlp_service_concepts_v1" in listed


def test_cli_evaluate_records_on_gold(tmp_path, capsys):
    text = "Denies fever."
    (tmp_path / "n1.txt").write_text(text, encoding="utf-8")
    (tmp_path / "n1.json").write_text(json.dumps({
        "id": "n1", "type": "progress_note", "split": "test", "attributes": [], "sections": [], "phi": [],
        "entities": [{"begin": 7, "end": 12, "text": "fever", "category": "PROBLEM", "type": "sign",
                      "assertion": {"certainty": "negated", "temporality": "current", "subject": "patient"}}]}))
    assert main(["evaluate", "records", "--gold", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["entities_strict"]["PROBLEM"]["tp"] == 1
    assert report["assertions"]["certainty=negated"]["f1"] == 1.0


def test_cli_deid_file_and_text_only(tmp_path, capsys):
    note = tmp_path / "note.txt"
    note.write_text("Seen by Dr. Okonkwo on 3/4/21. Denies chest pain.", encoding="utf-8")
    assert main(["deid", str(note), "--text-only"]) == 0
    assert capsys.readouterr().out == "Seen by Dr. [NAME] on [DATE]. Denies chest pain."
    assert main(["deid", str(note), "--operator", "surrogate", "--type-operator", "DATE=shift_dates",
                 "--patient-key", "p1", "--compact"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "Okonkwo" not in data["text"] and "3/4/21" not in data["text"]
    assert [f["operator"] for f in data["findings"]] == ["surrogate", "shift_dates"]


def test_cli_deid_folder_keeps_going_past_a_bad_file(tmp_path, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    (src / "sub").mkdir(parents=True)
    (src / "a.txt").write_text("Call Dr. Okonkwo at 617-555-0199.", encoding="utf-8")
    (src / "sub" / "b.txt").write_text("MRN 00412345, seen 3/4/21.", encoding="utf-8")
    (src / "c.txt").write_bytes(b"\xff\xfe not utf-8")
    assert main(["deid", str(src), "--out", str(out)]) == 2  # one file failed
    summary = json.loads(capsys.readouterr().out)
    assert (summary["files"], summary["failed"]) == (3, 1)
    assert (out / "a.txt").read_text(encoding="utf-8") == "Call Dr. [NAME] at [PHONE]."
    assert (out / "sub" / "b.txt").read_text(encoding="utf-8") == "MRN [ID], seen [DATE]."
    report = [json.loads(line) for line in (out / "deid_report.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["file"]: r["ok"] for r in report} == {"a.txt": True, "c.txt": False, "sub/b.txt": True}
    assert "Okonkwo" not in (out / "deid_report.jsonl").read_text(encoding="utf-8")


def test_cli_deid_folder_needs_a_separate_out(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("Dr. Okonkwo", encoding="utf-8")
    assert main(["deid", str(tmp_path)]) == 2
    assert main(["deid", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "--out" in capsys.readouterr().err


def test_cli_deid_unknown_operator(tmp_path, capsys):
    note = tmp_path / "n.txt"
    note.write_text("Dr. Okonkwo", encoding="utf-8")
    assert main(["deid", str(note), "--operator", "scramble"]) == 2
    assert "surrogate" in capsys.readouterr().err


def test_cli_deid_stdin_in_a_real_process():
    proc = subprocess.run([str(BIN), "deid", "-", "--text-only"], input=b"Dr. Okonkwo called 617-555-0199.",
                          capture_output=True, timeout=120, env={**os.environ, "NLP_SERVICE__PHI__SECRET": "t"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"Dr. [NAME] called [PHONE]."
    assert b"Okonkwo" not in proc.stderr


def test_cli_analyze_with_phi(tmp_path, capsys):
    note = tmp_path / "note.txt"
    note.write_text("Dr. Okonkwo: denies chest pain.", encoding="utf-8")
    assert main(["analyze", str(note), "--phi", "--compact"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(p["type"], p["begin"], p["end"]) for p in data["phi"]] == [("NAME", 4, 11)]


def test_cli_evaluate_phi_on_gold(tmp_path, capsys):
    gold = tmp_path / "gold"
    gold.mkdir()
    text = "Seen by Dr. Okonkwo on 3/4/21."
    (gold / "n1.txt").write_text(text, encoding="utf-8")
    (gold / "n1.json").write_text(json.dumps({"id": "n1", "split": "dev", "entities": [], "phi": [
        {"type": "NAME", "begin": 12, "end": 19}, {"type": "DATE", "begin": 23, "end": 29}]}), encoding="utf-8")
    assert main(["evaluate", "phi", "--gold", str(gold), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["overall"]["token_recall"] == 1.0 and report["overall"]["token_precision"] == 1.0
    assert main(["evaluate", "phi", "--gold", str(gold)]) == 0
    assert "NAME" in capsys.readouterr().out


def test_cli_deid_out_never_overwrites_the_note(tmp_path, capsys):
    note = tmp_path / "note.txt"
    note.write_text("Seen by Dr. Okonkwo.", encoding="utf-8")
    assert main(["deid", str(note), "--out", str(note)]) == 2
    assert note.read_text(encoding="utf-8") == "Seen by Dr. Okonkwo."
    assert main(["deid", str(note), "--out", str(tmp_path)]) == 2  # a folder for one note
    assert "folder" in capsys.readouterr().err
    target = tmp_path / "clean.txt"
    assert main(["deid", str(note), "--out", str(target), "--text-only"]) == 0
    assert capsys.readouterr().out == ""  # the text went to the file
    assert target.read_text(encoding="utf-8") == "Seen by Dr. [NAME]."


def test_cli_deid_folder_copies_empty_notes(tmp_path, capsys):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    (src / "empty.txt").write_text("  \n", encoding="utf-8")
    (src / "a.txt").write_text("Dr. Okonkwo", encoding="utf-8")
    assert main(["deid", str(src), "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["failed"] == 0
    assert (out / "empty.txt").read_text(encoding="utf-8") == "  \n"


def test_cli_link_prints_ranked_codes(capsys):
    assert main(["link", "R hip OA", "-k", "3", "--compact"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["codes"][0]["code"] == "M16.11" and len(data["codes"]) == 3
    assert data["code_set"].startswith("ICD-10-CM")


def test_cli_index_build_search_add_delete(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NLP_SERVICE__SEARCH__DATA_DIR", str(tmp_path / "indexes"))
    records = tmp_path / "records.jsonl"
    records.write_text("\n".join([
        json.dumps({"id": "a", "text": "Community acquired pneumonia treated with ceftriaxone.", "metadata": {"unit": "4W"}}),
        json.dumps({"id": "b", "text": "Left knee osteoarthritis, knee replacement planned.", "metadata": {"unit": "ortho"}}),
        "{broken",
    ]), encoding="utf-8")
    assert main(["index", "build", "--input", str(records), "--name", "demo"]) == 0
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert report["added"] == 2 and report["skipped"][0]["line"] == 3 and "skipped 1 line" in out.err
    assert main(["index", "build", "--input", str(records), "--name", "demo"]) == 2
    assert "[E404]" in capsys.readouterr().err
    assert main(["search", "lung infection", "--index", "demo", "-k", "1", "--compact"]) == 0
    assert json.loads(capsys.readouterr().out)["hits"][0]["id"] == "a"
    assert main(["search", "--index", "demo", "--record-id", "a", "--filter", "unit=ortho", "--compact"]) == 0
    assert [h["id"] for h in json.loads(capsys.readouterr().out)["hits"]] == ["b"]
    assert main(["index", "delete", "demo", "--ids", "a", "zz"]) == 0
    assert json.loads(capsys.readouterr().out) == {"name": "demo", "deleted": 1, "not_found": 1}
    assert main(["index", "list"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["records"] == 1
    assert main(["search", "", "--index", "demo"]) == 2
    assert "[E111]" in capsys.readouterr().err
    assert main(["search", "x", "--index", "nope"]) == 2
    assert "[E202]" in capsys.readouterr().err
    assert main(["index", "drop", "demo"]) == 0
    assert not (tmp_path / "indexes" / "demo").exists()


def test_cli_evaluate_linking(capsys):
    assert main(["evaluate", "linking", "--split", "dev", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report["modes"]) == {"combined", "exact", "embedding"}
    assert report["modes"]["combined"]["all"]["n"] >= 300
