"""Medical Q&A: the KB format, the MedQuAD importer, building, answering, and the CLI and HTTP surfaces."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from nlp_service.config import QASettings
from nlp_service.errors import ServiceError
from nlp_service.qa.kb import heldout_ids, import_medquad, read_entries
from nlp_service.qa.service import QAService

from ..api.helpers import AUTH, post

GOOD = {"id": "kb-1", "question": "What is asthma?", "answer": "Asthma is a long-term condition of the airways.",
        "source": "NHS", "url": "https://www.nhs.uk/conditions/asthma/", "focus": "asthma", "qtype": "information"}

DOCUMENT = """<?xml version="1.0" encoding="UTF-8"?>
<Document id="0000001" source="NIDDK" url="https://www.niddk.nih.gov/acromegaly">
<Focus>Acromegaly</Focus>
<FocusAnnotations><UMLS><CUIs><CUI>C0001206</CUI></CUIs></UMLS></FocusAnnotations>
<QAPairs>
<QAPair pid="1"><Question qid="0000001-1" qtype="information">What is (are) Acromegaly ?</Question>
<Answer>Acromegaly is a hormonal disorder that results from too much growth hormone.</Answer></QAPair>
<QAPair pid="2"><Question qid="0000001-2" qtype="symptoms">What are the symptoms of Acromegaly ?</Question>
<Answer></Answer></QAPair>
<QAPair pid="3"><Question qid="0000001-3" qtype="treatment">What are the treatments for Acromegaly ?</Question>
<Answer>Surgery, medicines and radiation can lower growth hormone.</Answer></QAPair>
<QAPair pid="4"><Question qid="0000001-3" qtype="treatment">What are the treatments for Acromegaly ?</Question>
<Answer>A repeated pair.</Answer></QAPair>
</QAPairs></Document>"""
NINDS = """<?xml version="1.0" encoding="UTF-8"?>
<doc docid="0000007" corpus="NINDS" url="http://www.ninds.nih.gov/holmes_adie.htm">
<doctitle-focus>Holmes-Adie</doctitle-focus><umls><cui>C0152209</cui></umls>
<qaPairs><pair pid="1"><question qid="0000007-1" qtype="information">what is holmes-adie syndrome ?</question>
<answer>Holmes-Adie syndrome is a neurological disorder affecting the pupil of the eye.</answer></pair></qaPairs></doc>"""


def write_medquad(root: Path) -> Path:
    (root / "5_NIDDK_QA").mkdir(parents=True)
    (root / "6_NINDS_QA").mkdir()
    (root / "5_NIDDK_QA" / "0000001.xml").write_text(DOCUMENT, encoding="utf-8")
    (root / "6_NINDS_QA" / "0000007.xml").write_text(NINDS, encoding="utf-8")
    (root / "5_NIDDK_QA" / "0000002.xml").write_text("<Document><Focus>broken", encoding="utf-8")
    return root


def test_kb_lines_are_checked_one_by_one():
    lines = [json.dumps(GOOD), "not json", json.dumps({**GOOD, "id": "kb-2", "qtype": "gossip"}), json.dumps(GOOD),
             json.dumps({**GOOD, "id": "kb-3", "answer": "  "}), json.dumps({**GOOD, "id": "kb-4", "question": "Asthma triggers?"})]
    entries, problems = read_entries(lines, "kb.jsonl")
    assert [e.id for e in entries] == ["kb-1", "kb-4"]
    reasons = {p["line"]: p["reason"] for p in problems}
    assert "not valid JSON" in reasons[2]
    assert "unknown question type 'gossip'" in reasons[3]
    assert "duplicate id 'kb-1'" in reasons[4]
    assert "blank" in reasons[5]
    with pytest.raises(ServiceError) as err:
        read_entries(["{}", "[]"], "empty.jsonl")
    assert err.value.code == "E403"


def test_medquad_import_keeps_answered_pairs_and_reports_the_rest(tmp_path):
    entries, report = import_medquad(write_medquad(tmp_path / "medquad"))
    assert [(e.id, e.qid, e.qtype) for e in entries] == [("NIDDK_0000001-1", "0000001-1", "information"),
                                                         ("NIDDK_0000001-3", "0000001-3", "treatment"),
                                                         ("NINDS_0000007-1", "0000007-1", "information")]
    first = entries[0]
    assert first.cuis == ["C0001206"] and first.focus == "Acromegaly" and first.url == "https://www.niddk.nih.gov/acromegaly"
    assert first.document == "5_NIDDK_QA/0000001.xml" and "CC BY 4.0" in first.licence
    assert entries[2].focus == "Holmes-Adie" and entries[2].cuis == ["C0152209"]
    assert report["files"] == 3 and report["pairs"] == 5 and report["empty_answers"] == 1 and report["duplicate_ids"] == 1
    assert [m["file"] for m in report["malformed_files"]] == ["5_NIDDK_QA/0000002.xml"]


def test_heldout_file_names_kb_ids(tmp_path):
    path = tmp_path / "held.jsonl"
    path.write_text('{"source": "GARD", "qid": "0000001-1", "document": "2_GARD_QA/0000001.xml"}\n'
                    '{"source": "CancerGov", "qid": "0000013_2-1", "document": "1_CancerGov_QA/0000013_3.xml"}\n', encoding="utf-8")
    assert heldout_ids(path) == {"GARD_0000001-1", "CancerGov_0000013_3_0000013_2-1"}
    path.write_text('{"question": "x"}\n', encoding="utf-8")
    with pytest.raises(ServiceError, match="line 1"):
        heldout_ids(path)


@pytest.fixture(scope="module")
def service(kb_dir):
    """The shipped default KB (built once per session by conftest), with the default settings."""
    return QAService(QASettings(data_dir=str(kb_dir)))


def test_default_kb_is_large_enough_and_sourced(service):
    info = service.info("default")
    assert info.built and info.entries >= 300
    entries = service.kb("default").entries.values()
    assert all(e.source and e.url and e.url.startswith("https://") for e in entries)
    assert len(info.qtypes) >= 8


def test_answers_carry_source_passage_and_notice(service):
    result = service.answer({"question": "my dad was just started on metformin, what side effects should he expect?", "k": 3})
    assert not result.abstained and not result.reranked
    top = result.answers[0]
    assert "metformin" in (top.focus + top.question).lower()
    assert top.source and top.url and top.passage.text == top.answer[top.passage.begin:top.passage.end]
    assert "not medical advice" in result.notice
    assert result.emergency is None and result.question_understanding.focus


def test_emergency_question_puts_seek_care_first(service):
    result = service.answer({"question": "I have crushing chest pain going into my left arm, is this heartburn?"})
    assert result.emergency and result.emergency.startswith("Seek care now")
    assert result.red_flags and result.red_flags[0].rule


def test_unrelated_question_abstains_with_nearest_topics(service):
    result = service.answer({"question": "how do I change the oil in a 2009 toyota corolla engine"})
    assert result.abstained and result.answers == [] and result.nearest_topics
    assert "No answer" in result.notice


def test_the_cross_encoder_can_be_switched_on(kb_dir):
    svc = QAService(QASettings(data_dir=str(kb_dir), rerank=True, abstain_threshold=0.0))
    result = svc.answer({"question": "my dad just started metformin, what side effects should he watch for?"})
    assert result.reranked and "metformin" in result.answers[0].question.lower()
    assert 0.0 <= result.answers[0].score <= 1.0


@pytest.mark.parametrize(("request_body", "code", "status"), [
    ({"question": ""}, "E110", 400),
    ({"question": "   "}, "E110", 400),
    ({"question": "x" * 5_001}, "E104", 413),
    ({"question": "what is asthma", "k": 0}, "E112", 400),
    ({"question": "what is asthma", "k": 11}, "E112", 400),
    ({"question": "what is asthma", "k": "3"}, "E112", 400),
    ({"question": "what is asthma", "kb": "nope"}, "E204", 404),
    ({"question": 42}, "E101", 400),
    ({"k": 3}, "E101", 400),
])
def test_bad_questions_get_clear_errors(service, request_body, code, status):
    with pytest.raises(ServiceError) as err:
        service.answer(request_body)
    assert (err.value.code, err.value.status) == (code, status)
    if code == "E204":
        assert "default" in str(err.value)


def test_unbuilt_kb_says_how_to_build_it(service):
    entries, _ = read_entries([json.dumps(GOOD), json.dumps({**GOOD, "id": "kb-2", "qtype": "symptoms", "question": "Asthma signs?"})], "x")
    service.store("fresh", entries, {})
    with pytest.raises(ServiceError) as err:
        service.answer({"question": "what is asthma", "kb": "fresh"})
    assert err.value.code == "E205" and "nlp-service kb build fresh" in str(err.value)
    assert service.info("fresh").built is False


def test_qa_over_http(live_server):
    status, _h, body = post(live_server, "/v1/qa", json.dumps({"question": "How do I know if my child has croup?", "k": 2}).encode())
    assert status == 200 and len(body["answers"]) <= 2 and body["notice"]
    assert body["answers"] and body["answers"][0]["source"]
    status, _h, body = post(live_server, "/v1/qa", json.dumps({"question": "what is asthma", "kb": "missing"}).encode())
    assert status == 404 and body["code"] == "E204" and "default" in body["detail"]
    status, _h, body = post(live_server, "/v1/qa", b'{"question": "what is asthma", "k": 500}')
    assert status == 400 and body["code"] == "E112"
    status, _h, body = post(live_server, "/v1/qa", b'{"question": ')
    assert status == 400 and body["code"] == "E100"
    with urllib.request.urlopen(urllib.request.Request(live_server + "/v1/kbs", headers=AUTH), timeout=30) as resp:
        kbs = json.loads(resp.read())["kbs"]
    default = next(k for k in kbs if k["name"] == "default")
    assert default["built"] and default["entries"] >= 300


def test_cli_kb_import_build_list_and_ask(tmp_path, capsys, monkeypatch):
    from nlp_service import cli

    monkeypatch.setenv("NLP_SERVICE__QA__DATA_DIR", str(tmp_path / "kbs"))
    medquad = write_medquad(tmp_path / "medquad")
    assert cli.main(["kb", "import", "medquad", str(medquad), "--kb", "mq", "--build"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["entries"] == 3 and report["build"]["entries"] == 3 and report["malformed_files"]
    assert cli.main(["kb", "list"]) == 0
    assert [k["name"] for k in json.loads(capsys.readouterr().out)] == ["mq"]
    assert cli.main(["ask", "how is acromegaly treated?", "--kb", "mq", "-k", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["answers"][0]["qid"] == "0000001-3" and result["answers"][0]["source"] == "NIDDK"


def test_heldout_questions_stay_out_of_the_question_index_and_are_scored(tmp_path):
    from nlp_service.qa.evaluate import evaluate_qa

    medquad = write_medquad(tmp_path / "medquad")
    held = tmp_path / "held.jsonl"
    held.write_text(json.dumps({"source": "NINDS", "qid": "0000007-1", "document": "6_NINDS_QA/0000007.xml",
                                "patient_question": "the eye doctor said my brother has holmes-adie, what is that?"}) + "\n", encoding="utf-8")
    svc = QAService(QASettings(data_dir=str(tmp_path / "kbs")))
    entries, report = import_medquad(medquad)
    assert svc.store("mq", entries, report, heldout_ids(held))["heldout"] == 1
    svc.build("mq")
    kb = svc.kb("mq")
    assert kb.heldout == {"NINDS_0000007-1"}
    assert kb.questions.record("NINDS_0000007-1") is None and kb.answers.record("NINDS_0000007-1") is not None
    result = evaluate_qa(svc, "mq", held, configs=["BM25 alone", "hybrid + re-rank + question understanding"])
    assert result["questions"] == 1
    full = result["results"]["hybrid + re-rank + question understanding"]
    assert full["p@1"] == 1.0 and full["mrr@10"] == 1.0 and full["focus_accuracy"] == 1.0
    assert full["strict_questions"] == 0  # no other pair about Holmes-Adie


def test_reranker_int8_export_agrees_with_fp32(tmp_path):
    from nlp_service.qa.rerank import CrossEncoder
    from nlp_service.schemas import KBEntry

    model = CrossEncoder.load(Path(__file__).resolve().parents[2] / "models" / "qa" / "reranker", cache_dir=tmp_path)
    entries = [KBEntry.model_validate({**GOOD, "id": str(i), "focus": f, "qtype": t, "question": q}) for i, (f, t, q) in enumerate([
        ("asthma", "symptoms", "What are the symptoms of asthma?"), ("asthma", "treatment", "How is asthma treated?"),
        ("gout", "symptoms", "What are the signs of gout?"), ("metformin", "considerations", "What are the side effects of metformin?")])]
    question = "my 8 year old keeps wheezing at night, how do I know if it is asthma?"
    fast = model.score(question, entries)
    exact = model.score(question, entries, backend="torch")
    assert list(tmp_path.glob("qa-reranker-*.onnx"))
    assert abs(fast - exact).max() < 0.05
    assert int(exact.argmax()) == 0 and int(fast.argmax()) == 0
