"""Build the standoff gold standard from the inline-annotated note sources.

Usage: python corpora/notes/build_gold.py [--check]

Reads ``src/*.note`` (format in GUIDELINES.md) and writes ``gold/<id>.txt`` (the plain note) and
``gold/<id>.json`` (standoff annotations with character offsets into the plain note). With
``--check`` it only validates the sources and reports problems, writing nothing.

The split is deterministic: within each note type, notes sorted by id are assigned dev, dev, test,
dev, dev, test, ... so roughly a third of every type is held out for testing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
GOLD = HERE / "gold"

NOTE_TYPES = {
    "discharge_summary",
    "progress_note",
    "ed_note",
    "radiology_report",
    "nursing_note",
    "consult_note",
}
ENTITY_LABELS = {
    "PROBLEM/diagnosis": ("PROBLEM", "diagnosis"),
    "PROBLEM/symptom": ("PROBLEM", "symptom"),
    "PROBLEM/sign": ("PROBLEM", "sign"),
    "MEDICATION": ("MEDICATION", None),
    "TEST_OR_PROCEDURE": ("TEST_OR_PROCEDURE", None),
    "ANATOMY": ("ANATOMY", None),
}
ATTRIBUTE_LABELS = {"STRENGTH", "DOSE", "ROUTE", "FREQUENCY", "DURATION", "FORM"}
SECTION_CATEGORIES = {
    "chief_complaint", "history_of_present_illness", "past_medical_history",
    "past_surgical_history", "medications", "allergies", "family_history", "social_history",
    "review_of_systems", "physical_exam", "vital_signs", "labs_and_results", "imaging",
    "procedures", "hospital_course", "assessment_and_plan", "diagnoses",
    "discharge_instructions", "follow_up", "indication", "technique", "comparison", "findings",
    "impression", "other",
}
PHI_TYPES = {"NAME", "DATE", "AGE", "PHONE", "EMAIL", "ID", "URL", "LOCATION", "ORGANIZATION"}
ASSERTION_VALUES = {
    "negated": ("certainty", "negated"),
    "possible": ("certainty", "possible"),
    "historical": ("temporality", "historical"),
    "hypothetical": ("temporality", "hypothetical"),
    "family": ("subject", "family"),
    "other": ("subject", "other"),
}
MARKUP = re.compile(r"\[\[([^\[\]|]*)\|([^\[\]|]+)(?:\|([^\[\]|]*))?\]\]")


class SourceError(ValueError):
    """A problem in one note source, with its file and line."""


def parse_source(path: Path, note_types: set[str] | frozenset[str] = NOTE_TYPES) -> dict:
    """Parse one source file into plain text and standoff annotations."""
    raw = path.read_text(encoding="utf-8")
    if "\n---\n" not in raw:
        raise SourceError(f"{path.name}: missing the '---' line after the header")
    head, body = raw.split("\n---\n", 1)
    meta = {}
    for line in head.splitlines():
        if line.strip():
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()
    for key in ("id", "type"):
        if key not in meta:
            raise SourceError(f"{path.name}: header lacks '{key}:'")
    if meta["type"] not in note_types:
        raise SourceError(f"{path.name}: unknown type {meta['type']!r}")

    out: list[str] = []
    pos = 0  # position in body
    plain_len = 0
    entities, attributes, sections, phi = [], [], [], []
    for m in MARKUP.finditer(body):
        before = body[pos : m.start()]
        if "[[" in before or "]]" in before:
            line = body[: m.start()].count("\n") + 1
            raise SourceError(f"{path.name}:{line}: malformed markup near {before[-40:]!r}")
        out.append(before)
        plain_len += len(before)
        surface, label, extra = m.group(1), m.group(2).strip(), (m.group(3) or "").strip()
        line = body[: m.start()].count("\n") + 1
        if not surface or surface != surface.strip():
            raise SourceError(f"{path.name}:{line}: empty or padded surface {surface!r}")
        begin, end = plain_len, plain_len + len(surface)
        out.append(surface)
        plain_len = end
        pos = m.end()
        record = {"begin": begin, "end": end, "text": surface}
        if label in ENTITY_LABELS:
            category, ptype = ENTITY_LABELS[label]
            assertion = {"certainty": "positive", "temporality": "current", "subject": "patient"}
            for value in filter(None, (v.strip() for v in extra.split(","))):
                if value not in ASSERTION_VALUES:
                    raise SourceError(f"{path.name}:{line}: unknown assertion value {value!r}")
                axis, val = ASSERTION_VALUES[value]
                assertion[axis] = val
            entities.append({**record, "category": category, "type": ptype, "assertion": assertion})
        elif label in ATTRIBUTE_LABELS:
            attributes.append({**record, "type": label})
        elif label.startswith("SECTION/"):
            category = label.split("/", 1)[1]
            if category not in SECTION_CATEGORIES:
                raise SourceError(f"{path.name}:{line}: unknown section category {category!r}")
            sections.append({**record, "category": category})
        elif label.startswith("PHI/"):
            ptype = label.split("/", 1)[1]
            if ptype not in PHI_TYPES:
                raise SourceError(f"{path.name}:{line}: unknown PHI type {ptype!r}")
            phi.append({**record, "type": ptype})
        else:
            raise SourceError(f"{path.name}:{line}: unknown label {label!r}")
        if extra and label not in ENTITY_LABELS:
            raise SourceError(f"{path.name}:{line}: assertions on a non-entity label {label!r}")
    tail = body[pos:]
    if "[[" in tail or "]]" in tail:
        raise SourceError(f"{path.name}: malformed markup near the end")
    out.append(tail)
    text = "".join(out)

    # Each attribute belongs to the nearest medication before it (GUIDELINES.md).
    meds = [i for i, e in enumerate(entities) if e["category"] == "MEDICATION"]
    for attribute in attributes:
        owner = None
        for i in meds:
            if entities[i]["end"] <= attribute["begin"]:
                owner = i
        attribute["medication"] = owner
    for group in (entities, attributes, sections, phi):
        for record in group:
            assert text[record["begin"] : record["end"]] == record["text"]
    return {
        "id": meta["id"],
        "type": meta["type"],
        "style": meta.get("style", ""),
        "text": text,
        "entities": entities,
        "attributes": attributes,
        "sections": sections,
        "phi": phi,
    }


def assign_splits(notes: list[dict]) -> None:
    """Give every third note of each type (sorted by id) to the test split."""
    by_type = defaultdict(list)
    for note in notes:
        by_type[note["type"]].append(note)
    for group in by_type.values():
        for i, note in enumerate(sorted(group, key=lambda n: n["id"])):
            note["split"] = "test" if i % 3 == 2 else "dev"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="validate only; write nothing")
    args = parser.parse_args(argv)
    notes, problems, seen = [], [], set()
    for path in sorted(SRC.glob("*.note")):
        try:
            note = parse_source(path)
        except SourceError as exc:
            problems.append(str(exc))
            continue
        if note["id"] in seen:
            problems.append(f"{path.name}: duplicate id {note['id']}")
        seen.add(note["id"])
        notes.append(note)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    assign_splits(notes)
    counts = defaultdict(int)
    for note in notes:
        counts["notes"] += 1
        counts["chars"] += len(note["text"])
        for group in ("entities", "attributes", "sections", "phi"):
            counts[group] += len(note[group])
    print(json.dumps(dict(counts)))
    if args.check:
        return 0
    GOLD.mkdir(exist_ok=True)
    for old in GOLD.glob("*"):
        old.unlink()
    for note in notes:
        text = note.pop("text")
        (GOLD / f"{note['id']}.txt").write_text(text, encoding="utf-8")
        (GOLD / f"{note['id']}.json").write_text(
            json.dumps(note, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
