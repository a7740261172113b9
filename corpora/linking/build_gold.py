#!/usr/bin/env python3
"""Build the ICD-10-CM entity-linking gold set from its hand-written source.

Reads   src/mentions.tsv   (id, context, mention, code, kind; tab-separated)
Writes  gold/mentions.jsonl (one JSON object per mention, sorted by id)

Every row is validated before anything is written:
  * exactly the five expected columns, no stray whitespace, no empty field;
  * ids of the form lnk_NNNN, unique;
  * kind is one of plain / abbreviation / misspelling / lay / laterality;
  * the mention occurs exactly once (case-sensitive) in the context;
  * the code is written in dotted form and is a valid ICD-10-CM code (not a
    chapter or block) in the installed simple_icd_10_cm release;
  * the code is billable (a leaf); a non-billable code is reported and fails
    the build unless it has no billable descendants;
  * no code is used more than MAX_USES_PER_CODE times.

Offsets: ``begin``/``end`` are Python string indices (Unicode code points) of
the mention in the context, end-exclusive: context[begin:end] == mention.

Split: rows are sorted by id; within each kind, every third row (3rd, 6th,
9th, ...) is ``test``, the others are ``dev``.

Usage:
  python build_gold.py           validate and (re)write gold/mentions.jsonl
  python build_gold.py --check   validate and compare with the existing gold
                                 file without writing; exit 1 if it differs

Exit status: 0 ok, 1 gold file missing or different (--check), 2 invalid
source rows or simple_icd_10_cm not installed.  Only the standard library
and simple_icd_10_cm are used; the output depends only on the source file and
the code set, so reruns are byte-identical.
"""

from __future__ import annotations

import argparse
import collections
import importlib.metadata
import json
import os
import re
import sys

try:
    import simple_icd_10_cm as cm
except ImportError:  # pragma: no cover - environment problem, not data
    print("build_gold.py needs the simple_icd_10_cm package; run it with "
          "the project interpreter, e.g. .venv/bin/python", file=sys.stderr)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "src", "mentions.tsv")
GOLD = os.path.join(HERE, "gold", "mentions.jsonl")

HEADER = ["id", "context", "mention", "code", "kind"]
KINDS = ("plain", "abbreviation", "misspelling", "lay", "laterality")
ID_RE = re.compile(r"^lnk_\d{4}$")
MAX_USES_PER_CODE = 3
TEST_EVERY = 3


def icd_version() -> str:
    """Describe the ICD-10-CM release shipped with simple_icd_10_cm."""
    try:
        pkg = importlib.metadata.version("simple_icd_10_cm")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        pkg = "unknown"
    impl = getattr(cm, "simple_icd_10_cm", None)
    data_file = getattr(impl, "_classification_data_package_file_name", None)
    data_dir = os.path.join(os.path.dirname(cm.__file__), "data")
    if data_file is None and os.path.isdir(data_dir):
        xml = sorted(f for f in os.listdir(data_dir) if f.endswith(".xml"))
        data_file = xml[0] if xml else None
    fiscal_year = None
    if data_file and os.path.isfile(os.path.join(data_dir, data_file)):
        with open(os.path.join(data_dir, data_file), encoding="utf-8") as fh:
            m = re.search(r"<version>\s*([^<]+?)\s*</version>", fh.read(4096))
            fiscal_year = m.group(1) if m else None
    parts = [f"simple_icd_10_cm {pkg}"]
    if fiscal_year:
        parts.append(f"ICD-10-CM {fiscal_year}")
    if data_file:
        parts.append(f"data file {data_file}")
    return ", ".join(parts)


def count_occurrences(haystack: str, needle: str) -> int:
    """Count occurrences of needle in haystack, overlapping ones included."""
    n, start = 0, 0
    while True:
        i = haystack.find(needle, start)
        if i < 0:
            return n
        n += 1
        start = i + 1


def check_code(code: str) -> tuple[list[str], list[str]]:
    """Return (errors, warnings) for one code."""
    errors: list[str] = []
    warnings: list[str] = []
    if not cm.is_valid_item(code):
        return [f"code {code!r} is not a valid ICD-10-CM code"], warnings
    if not cm.is_category_or_subcategory(code):
        return [f"code {code!r} is a chapter or block, not a code"], warnings
    if cm.add_dot(code) != code:
        errors.append(f"code {code!r} must be written as {cm.add_dot(code)!r}")
    if not cm.is_leaf(code):
        billable_below = [d for d in cm.get_descendants(code) if cm.is_leaf(d)]
        if billable_below:
            shown = ", ".join(billable_below[:5])
            more = "..." if len(billable_below) > 5 else ""
            errors.append(f"code {code!r} is not billable; use one of its "
                          f"billable descendants ({shown}{more})")
        else:
            warnings.append(f"code {code!r} is not billable and has no "
                            f"billable descendants; kept as is")
    return errors, warnings


def read_source(path: str) -> tuple[list[dict], list[str], list[str]]:
    errors: list[str] = []
    warnings: list[str] = []
    rows: list[dict] = []
    with open(path, encoding="utf-8", newline="") as fh:
        lines = fh.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return rows, [f"{path}: empty file"], warnings
    if lines[0].split("\t") != HEADER:
        errors.append(f"line 1: header must be {chr(9).join(HEADER)!r}, "
                      f"got {lines[0]!r}")
    seen_ids: set[str] = set()
    for lineno, line in enumerate(lines[1:], start=2):
        where = f"line {lineno}"
        if "\r" in line:
            errors.append(f"{where}: carriage return in line")
            line = line.replace("\r", "")
        fields = line.split("\t")
        if len(fields) != len(HEADER):
            errors.append(f"{where}: expected {len(HEADER)} tab-separated "
                          f"columns, got {len(fields)}")
            continue
        row = dict(zip(HEADER, fields, strict=True))
        where = f"{where} ({row['id'] or 'no id'})"
        bad = False
        for col in HEADER:
            value = row[col]
            if not value:
                errors.append(f"{where}: empty {col}")
                bad = True
            elif value != value.strip():
                errors.append(f"{where}: leading/trailing whitespace in {col}")
                bad = True
        if bad:
            continue
        if not ID_RE.match(row["id"]):
            errors.append(f"{where}: id must look like lnk_0001")
        if row["id"] in seen_ids:
            errors.append(f"{where}: duplicate id")
        seen_ids.add(row["id"])
        if row["kind"] not in KINDS:
            errors.append(f"{where}: kind {row['kind']!r} not in {KINDS}")
        n = count_occurrences(row["context"], row["mention"])
        if n != 1:
            errors.append(f"{where}: mention {row['mention']!r} occurs {n} "
                          f"times in context (must be exactly once)")
        code_errors, code_warnings = check_code(row["code"])
        errors += [f"{where}: {e}" for e in code_errors]
        warnings += [f"{where}: {w}" for w in code_warnings]
        row["_line"] = lineno
        rows.append(row)
    uses = collections.Counter(r["code"] for r in rows)
    for code, n in sorted(uses.items()):
        if n > MAX_USES_PER_CODE:
            ids = ", ".join(r["id"] for r in rows if r["code"] == code)
            errors.append(f"code {code} used {n} times (max "
                          f"{MAX_USES_PER_CODE}): {ids}")
    return rows, errors, warnings


def build_records(rows: list[dict]) -> list[dict]:
    records = []
    position_in_kind: collections.Counter = collections.Counter()
    for row in sorted(rows, key=lambda r: r["id"]):
        kind = row["kind"]
        position_in_kind[kind] += 1
        split = "test" if position_in_kind[kind] % TEST_EVERY == 0 else "dev"
        begin = row["context"].find(row["mention"])
        end = begin + len(row["mention"])
        assert row["context"][begin:end] == row["mention"]
        records.append({
            "id": row["id"],
            "context": row["context"],
            "mention": row["mention"],
            "begin": begin,
            "end": end,
            "code": row["code"],
            "display": cm.get_description(row["code"]),
            "billable": cm.is_leaf(row["code"]),
            "kind": kind,
            "split": split,
        })
    return records


def chapter_of(code: str) -> str:
    """The ICD-10-CM chapter number (as a string) containing code."""
    return next(a for a in cm.get_ancestors(code) if cm.is_chapter(a))


def serialise(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def print_summary(records: list[dict]) -> None:
    by = collections.Counter((r["kind"], r["split"]) for r in records)
    print(f"ICD-10-CM code set: {icd_version()}")
    print(f"{'kind':<14}{'dev':>6}{'test':>6}{'total':>7}")
    for kind in KINDS:
        dev, test = by[(kind, "dev")], by[(kind, "test")]
        print(f"{kind:<14}{dev:>6}{test:>6}{dev + test:>7}")
    dev = sum(n for (k, s), n in by.items() if s == "dev")
    test = sum(n for (k, s), n in by.items() if s == "test")
    print(f"{'all':<14}{dev:>6}{test:>6}{dev + test:>7}")
    codes = {r["code"] for r in records}
    chapters = collections.Counter(chapter_of(r["code"]) for r in records)
    print(f"distinct codes: {len(codes)}; billable rows: "
          f"{sum(r['billable'] for r in records)}/{len(records)}; "
          f"chapters covered: {len(chapters)}")
    for chapter, n in sorted(chapters.items(), key=lambda kv: int(kv[0])):
        print(f"  ch.{chapter:>2} {n:>4}  {cm.get_description(chapter)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="validate and compare with the existing gold "
                             "file without writing; exit 1 on a difference")
    args = parser.parse_args(argv)

    rows, errors, warnings = read_source(SRC)
    for w in warnings:
        print(f"WARNING: {w}", file=sys.stderr)
    if errors:
        for e in errors:
            print(f"ERROR: {e}", file=sys.stderr)
        print(f"{len(errors)} error(s) in {os.path.relpath(SRC)}; "
              f"nothing written", file=sys.stderr)
        return 2

    records = build_records(rows)
    text = serialise(records)
    print_summary(records)

    if args.check:
        if not os.path.exists(GOLD):
            print(f"CHECK FAILED: {os.path.relpath(GOLD)} does not exist",
                  file=sys.stderr)
            return 1
        with open(GOLD, encoding="utf-8", newline="") as fh:
            current = fh.read()
        if current != text:
            old = {}
            for n, line in enumerate(current.splitlines(), start=1):
                try:
                    old[json.loads(line)["id"]] = line
                except (ValueError, KeyError, TypeError):
                    old[f"<unparsable line {n}>"] = line
            new = {r["id"]: json.dumps(r, ensure_ascii=False) for r in records}
            changed = sorted(i for i in old.keys() & new.keys()
                             if old[i] != new[i])
            added = sorted(new.keys() - old.keys())
            removed = sorted(old.keys() - new.keys())
            print(f"CHECK FAILED: {os.path.relpath(GOLD)} is out of date "
                  f"(changed {len(changed)}, added {len(added)}, removed "
                  f"{len(removed)}); rerun build_gold.py", file=sys.stderr)
            for label, ids in (("changed", changed), ("added", added),
                               ("removed", removed)):
                if ids:
                    print(f"  {label}: {', '.join(ids[:20])}"
                          f"{' ...' if len(ids) > 20 else ''}",
                          file=sys.stderr)
            return 1
        print(f"OK: {os.path.relpath(GOLD)} is up to date")
        return 0

    os.makedirs(os.path.dirname(GOLD), exist_ok=True)
    with open(GOLD, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    print(f"wrote {len(records)} records to {os.path.relpath(GOLD)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
