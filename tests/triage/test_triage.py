"""Triage: data checks, the seven models behind one interface, red flags, the service and its surfaces."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nlp_service.config import TriageSettings
from nlp_service.errors import ServiceError
from nlp_service.triage.data import load_dataset, split_indices
from nlp_service.triage.models import MODELS, TextClassifier, make_model
from nlp_service.triage.redflags import red_flags
from nlp_service.triage.service import TriageService

from ..api.helpers import post

SEVERE = ["crushing chest pain and sweating", "cant breathe lips blue", "face drooping and slurred speech",
          "throat closing after bee sting", "took a whole bottle of pills", "bleeding wont stop soaking towels"]
MILD = ["need a refill of my blood pressure pills", "runny nose and sneezing for two days", "question about my lab results",
        "mild sunburn on my shoulders", "can I take ibuprofen with food", "want to schedule my annual physical"]


def toy(n: int = 8) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for i in range(n):
        for t in SEVERE:
            texts.append(f"{t} {i}")
            labels.append("emergency")
        for t in MILD:
            texts.append(f"{t} {i}")
            labels.append("routine")
    return texts, labels


def write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("msg,label\nhello,a\nhi,b\n", ".csv", "no column 'text'"),
        ("text,label\n,a\nhi,a\nyo,b\nho,b\n", ".csv", "row 2: 'text' is empty"),
        ("text,label\nhello,a\nhi,a\nyo,b\n", ".csv", "fewer than 2 examples: 'b'"),
        ('{"text": "a", "label": "x"}\nnot json\n', ".jsonl", "line 2 is not valid JSON"),
        ("text,label\nhello,a\nhi,a\n", ".csv", "only one label"),
    ],
)
def test_bad_data_names_the_row_or_column(tmp_path, content, suffix, message):
    path = tmp_path / f"data{suffix}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ServiceError) as err:
        load_dataset(path)
    assert err.value.code == "E405" and message in err.value.detail


def test_encoding_error_names_the_byte_and_line(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"text,label\nhello,a\ncaf\xe9,b\n")
    with pytest.raises(ServiceError) as err:
        load_dataset(path)
    assert "not UTF-8" in err.value.detail and "line 3" in err.value.detail


def test_split_is_stratified_and_seeded(tmp_path):
    texts, labels = toy()
    path = write_jsonl(tmp_path / "d.jsonl", [{"text": t, "label": y} for t, y in zip(texts, labels, strict=True)])
    ds = load_dataset(path)
    a, b = split_indices(ds, 7), split_indices(ds, 7)
    assert a == b and split_indices(ds, 8) != a
    assert sorted(a["train"] + a["dev"] + a["test"]) == list(range(len(texts)))
    assert {ds.labels[i] for i in a["test"]} == {"emergency", "routine"}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_fits_predicts_explains_and_round_trips(tmp_path, name):
    texts, labels = toy()
    quick = {"rnn": {"epochs": 3}, "cnn": {"epochs": 3}, "head": {"epochs": 20}, "transformer": {"epochs": 3},
             "rf": {"n_estimators": 100}}
    model = make_model(name, seed=3, **quick.get(name, {})).fit(texts, labels, dev=(texts[:12], labels[:12]))
    probe = ["crushing chest pain now", "want to schedule my annual physical please"]
    proba = model.predict_proba(probe)
    assert proba.shape == (2, 2) and np.allclose(proba.sum(axis=1), 1)
    assert model.predict(probe) == ["emergency", "routine"]
    weights = model.explain("crushing chest pain now")
    assert weights and all(isinstance(t, str) and w > 0 for t, w in weights)
    model.save(tmp_path / name)
    assert not list((tmp_path / name).glob("*.pkl"))
    loaded = TextClassifier.load(tmp_path / name)
    assert np.allclose(loaded.predict_proba(probe), proba, atol=1e-6)


@pytest.mark.parametrize("name", ["nb", "cnn"])
def test_training_is_deterministic_for_a_seed(name):
    texts, labels = toy()
    params = {"epochs": 2} if name == "cnn" else {}
    a = make_model(name, seed=5, **params).fit(texts, labels).predict_proba(texts[:6])
    b = make_model(name, seed=5, **params).fit(texts, labels).predict_proba(texts[:6])
    assert np.array_equal(a, b)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("my dad's face is droopy on one side and he's talking funny", "stroke_signs"),
        ("i cant breathe and my lips look blue", "breathing_severe"),
        ("my 6 week old has a fever of 38.3", "infant_fever"),
        ("I have pills saved up and I'm planning to take them all tonight", "suicidal_intent"),
        ("her throat is swelling after she ate peanuts", "anaphylaxis"),
        ("crushing pressure in my chest going down my left arm", "chest_pain_crushing"),
    ],
)
def test_red_flags_fire_on_lay_descriptions(text, rule):
    assert rule in {f.rule for f in red_flags(text)}


@pytest.mark.parametrize("text", ["no chest pain but a cough for two days", "he is not having trouble breathing",
                                  "my 5 week old is stuffy, no fever", "can't breathe through my nose because of allergies",
                                  "chest feels tight only when I cough, breathing fine"])
def test_denied_or_harmless_red_flag_words_do_not_fire(text):
    assert red_flags(text) == []


@pytest.fixture(scope="module")
def service():
    return TriageService(TriageSettings())


def test_service_answers_with_probabilities_explanation_and_model(service):
    result = service.triage("need a refill of my lisinopril please, no other problems")
    assert result.urgency in {"routine", "self_care"} and result.model in {"nb", "transformer"}
    assert abs(sum(result.urgency_probabilities.values()) - 1) < 1e-3
    assert result.explanation and result.cascade and not result.red_flags


def test_red_flags_only_raise_urgency_and_are_reported(service):
    text = "please refill my inhaler. also my mom's face is drooping and her speech is slurred"
    result = service.triage(text, model="nb")
    assert result.urgency == "emergency" and result.destination == "emergency_department"
    assert result.red_flags[0].rule == "stroke_signs"
    assert text[result.red_flags[0].begin:result.red_flags[0].end] == result.red_flags[0].text


def test_service_rejects_bad_input(service):
    for bad, code in (("", "E110"), ("x" * 6000, "E104"), (5, "E101")):
        with pytest.raises(ServiceError) as err:
            service.triage(bad)
        assert err.value.code == code
    with pytest.raises(ServiceError) as err:
        service.triage("hello", model="gpt")
    assert err.value.code == "E406"


def test_triage_over_http(live_server):
    status, _h, body = post(live_server, "/v1/triage", json.dumps({"text": "cant breathe, lips turning blue"}).encode())
    assert status == 200 and body["urgency"] == "emergency" and body["red_flags"]
    status, _h, body = post(live_server, "/v1/triage", json.dumps({"text": "refill please", "model": "svm"}).encode())
    assert status == 200 and body["model"] == "svm"
    status, _h, body = post(live_server, "/v1/triage", b'{"text": ""}')
    assert status == 400 and body["code"] == "E110"
    status, _h, body = post(live_server, "/v1/triage", b'{"text": "x", "model": "magic"}')
    assert status == 400 and body["code"] == "E406"


def test_cli_train_writes_an_artifact_with_a_model_card(tmp_path, capsys):
    from nlp_service.cli import main

    texts, labels = toy()
    data = tmp_path / "data.csv"
    data.write_text("message,triage\n" + "\n".join(f'"{t}",{y}' for t, y in zip(texts, labels, strict=True)), encoding="utf-8")
    out = tmp_path / "model"
    assert main(["train", "--model", "nb", "--data", str(data), "--text-col", "message", "--label-col", "triage",
                 "--out", str(out), "--urgent", "emergency"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["test"]["recall_emergency"] == 1.0
    card = (out / "MODEL_CARD.md").read_text()
    assert report["data_sha256"] in card and "macro-F1" in card and "seed" in card.lower()
    assert {p.name for p in out.iterdir()} >= {"config.json", "model.safetensors", "vocabulary.json", "MODEL_CARD.md"}
    assert main(["train", "--model", "nb", "--data", str(data), "--text-col", "text", "--out", str(out)]) == 2
    assert "no column 'text'" in capsys.readouterr().err
