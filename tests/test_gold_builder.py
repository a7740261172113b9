import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("build_gold", ROOT / "corpora" / "notes" / "build_gold.py")
build_gold = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_gold)


def write(tmp_path, body, header="id: t1\ntype: progress_note\n"):
    path = tmp_path / "t1.note"
    path.write_text(header + "---\n" + body, encoding="utf-8")
    return path


def test_gold_builder_standoff_offsets(tmp_path):
    note = build_gold.parse_source(write(tmp_path, "Denies [[fever|PROBLEM/sign|negated]]. [[ASA|MEDICATION]] [[81 mg|STRENGTH]]\n"))
    assert note["text"] == "Denies fever. ASA 81 mg\n"
    fever, asa = note["entities"]
    assert (fever["begin"], fever["end"], fever["assertion"]["certainty"]) == (7, 12, "negated")
    assert note["attributes"][0]["medication"] == 1 and asa["text"] == "ASA"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[[x|BOGUS]]", "unknown label"),
        ("[[x|PROBLEM/sign|sideways]]", "unknown assertion"),
        ("[[x|SECTION/nowhere]]", "unknown section"),
        ("[[ x|ANATOMY]]", "padded"),
        ("[[x|STRENGTH|negated]]", "non-entity"),
    ],
)
def test_gold_builder_rejects_bad_markup(tmp_path, body, message):
    with pytest.raises(build_gold.SourceError, match=message):
        build_gold.parse_source(write(tmp_path, body))


def test_gold_builder_shipped_corpus_is_consistent():
    gold = ROOT / "corpora" / "notes" / "gold"
    notes = sorted(gold.glob("*.json"))
    assert len(notes) >= 60
    sources = sorted((ROOT / "corpora" / "notes" / "src").glob("*.note"))
    assert len(sources) == len(notes)
    for src in sources:
        parsed = build_gold.parse_source(src)
        assert (gold / f"{parsed['id']}.txt").read_text(encoding="utf-8") == parsed["text"]
    types = {build_gold.parse_source(s)["type"] for s in sources}
    assert types == build_gold.NOTE_TYPES
    assert (ROOT / "corpora" / "notes" / "DATASHEET.md").is_file()
