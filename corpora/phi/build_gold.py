"""Build the standoff gold standard for the PHI snippets (same format as corpora/notes).

Usage: python corpora/phi/build_gold.py [--check]

Reads ``src/*.snip`` (header, ``---``, text with ``[[surface|PHI/TYPE]]`` markup, see
corpora/notes/GUIDELINES.md, section PHI) and writes ``gold/<id>.txt`` and ``gold/<id>.json``. Every
third snippet of each type (sorted by id) is in the test split.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
GOLD = HERE / "gold"
SNIPPET_TYPES = frozenset({
    "nursing_note", "note_header", "signature", "contact_list", "letter", "referral_fax", "form",
})

_spec = importlib.util.spec_from_file_location("notes_build_gold", HERE.parent / "notes" / "build_gold.py")
notes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="validate only; write nothing")
    args = parser.parse_args(argv)
    snippets, problems, seen = [], [], set()
    for path in sorted(SRC.glob("*.snip")):
        try:
            snippet = notes.parse_source(path, SNIPPET_TYPES)
        except notes.SourceError as exc:
            problems.append(str(exc))
            continue
        if snippet["entities"] or snippet["attributes"]:
            problems.append(f"{path.name}: snippets carry PHI labels only")
        if snippet["id"] in seen:
            problems.append(f"{path.name}: duplicate id {snippet['id']}")
        seen.add(snippet["id"])
        snippets.append(snippet)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    notes.assign_splits(snippets)
    counts = defaultdict(int)
    for snippet in snippets:
        counts["snippets"] += 1
        counts["chars"] += len(snippet["text"])
        for p in snippet["phi"]:
            counts[p["type"]] += 1
    print(json.dumps(dict(counts)))
    if args.check:
        return 0
    GOLD.mkdir(exist_ok=True)
    for old in GOLD.glob("*"):
        old.unlink()
    for snippet in snippets:
        text = snippet.pop("text")
        (GOLD / f"{snippet['id']}.txt").write_text(text, encoding="utf-8")
        (GOLD / f"{snippet['id']}.json").write_text(json.dumps(snippet, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
