"""Build the shipped lexicons from the curated sources and ICD-10-CM.

Usage: ``python -m nlp_service.resources.build`` (rewrites ``resources/lexicons/*.jsonl`` and
``MANIFEST.json``; deterministic, so a rebuild from the same inputs gives identical files).

Inputs:
* ``lexicons/sources/*.jsonl``: curated concepts (format in ``sources/FORMAT.md``);
* ICD-10-CM from the ``simple-icd-10-cm`` package: code descriptions, inclusion terms and
  "includes" notes, cleaned into the phrases clinicians write (parentheticals, "unspecified",
  laterality and "NOS" removed; "pain in knee" turned into "knee pain");
* ``rules/icd10cm_seed.json``: what to keep and drop from ICD-10-CM (chapters, stop terms).

Curated concepts win over seeded ones: a seeded term that a curated concept already uses is
dropped, and seeded concepts with the same code as a curated problem are merged into it.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from spacy.lang.en.stop_words import STOP_WORDS

from . import LEXICON_DIR, load_rules

SOURCES = LEXICON_DIR / "sources"
CATEGORY_FILES = {
    "PROBLEM": "problems",
    "MEDICATION": "medications",
    "TEST_OR_PROCEDURE": "tests_procedures",
    "ANATOMY": "anatomy",
}
ID_PREFIX = {"PROBLEM": "P", "MEDICATION": "M", "TEST_OR_PROCEDURE": "T", "ANATOMY": "A"}
REQUIRED = {"preferred", "category", "type", "synonyms", "case_sensitive"}


def _key(term: str) -> str:
    """Normalised matching key of a term (what the PhraseMatcher on NORM sees)."""
    from ..records.text import fold

    words = re.findall(r"\w+|[^\w\s]", term)
    return " ".join(fold(w) for w in words)


def variants(term: str) -> list[str]:
    """Spelling variants a clinician may write: hyphen/space/joined, possessive forms."""
    out = [term]
    if "-" in term:
        out.append(term.replace("-", " "))
        if re.search(r"(?<![A-Za-z])[A-Za-z]{1,3}-[A-Za-z]", term):
            # "a-fib" -> "afib", "x-ray" -> "xray"; not "Retin-A" -> "RetinA" (the retina)
            out.append(term.replace("-", ""))
    if "'s " in term or term.endswith("'s"):
        out.append(term.replace("'s", ""))
        out.append(term.replace("'s", "s"))
    return list(dict.fromkeys(" ".join(v.split()) for v in out))


# -- ICD-10-CM seeding --------------------------------------------------------------------------
def clean_icd_term(term: str, seed: dict) -> str | None:
    """Turn an ICD-10-CM description into the phrase a clinician writes, or None to drop it."""
    t = re.sub(r"\s*[\(\[][^\)\]]*[\)\]]", "", term)  # nonessential modifiers
    t = t.strip().rstrip(".")
    if any(ch in t for ch in "'\"") and not re.search(r"\w's\b", t):
        return None
    for suffix in seed["strip_suffixes"]:
        if t.lower().endswith(suffix):
            t = t[: -len(suffix)].rstrip(" ,")
    if seed.get("drop_acronyms") and re.search(r"\b[A-Z]{2,}[A-Z0-9-]*\b", t):
        return None  # acronyms from inclusion terms ("AMKD") are too ambiguous lower-cased
    for prefix in seed["strip_prefixes"]:
        if t.lower().startswith(prefix):
            t = t[len(prefix) :]
    t = re.sub(r"\b(right|left|bilateral|unilateral|unspecified)\s+", "", t, flags=re.IGNORECASE)
    t = " ".join(t.split()).lower()
    m = re.fullmatch(r"pain in (?:the )?([a-z ]{3,30})", t)
    if m and len(m.group(1).split()) <= 2:
        t = f"{m.group(1)} pain"
    if not t or any(ch in t for ch in ",;:/") or any(ch.isdigit() for ch in t if t[:4] != "type"):
        return None
    words = t.split()
    if not (1 <= len(words) <= seed["max_words"]):
        return None
    if any(re.search(rf"\b{re.escape(w)}\b", t) for w in seed["drop_if_contains"]):
        return None
    if t in seed["stop_terms"] or (len(words) == 1 and len(t) < 4):
        return None
    return t


def icd10cm_release() -> str:
    """The ICD-10-CM release that simple-icd-10-cm ships, from its data file names and version."""
    from importlib import resources as ir
    from importlib.metadata import version

    files = sorted(p.name for p in ir.files("simple_icd_10_cm.data").iterdir() if p.name.endswith((".txt", ".xml")))
    return f"simple-icd-10-cm {version('simple-icd-10-cm')}: " + ", ".join(files)


def seed_icd10cm(seed: dict) -> tuple[list[dict], str]:
    """Problem concepts from ICD-10-CM: one per cleaned term, with its most fitting code."""
    import simple_icd_10_cm as cm

    version = icd10cm_release()
    keep = [tuple(r) for r in seed["keep_code_ranges"]]
    symptom_ranges = [tuple(r) for r in seed["symptom_ranges"]]
    sign_ranges = [tuple(r) for r in seed["sign_ranges"]]

    def in_ranges(code: str, ranges: list[tuple[str, str]]) -> bool:
        c = code.replace(".", "")[:3]
        return any(lo <= c <= hi for lo, hi in ranges)

    by_term: dict[str, list[tuple[str, bool, int]]] = defaultdict(list)
    for code in cm.get_all_codes(with_dots=True):
        if not cm.is_category_or_subcategory(code) or not in_ranges(code, keep):
            continue
        leaf = cm.is_leaf(code)
        names = [(cm.get_description(code), 0)]
        names += [(t, 1) for t in cm.get_inclusion_term(code)]
        names += [(t, 1) for t in cm.get_includes(code)]
        for name, rank in names:
            term = clean_icd_term(name, seed)
            if term:
                by_term[term].append((code, leaf, rank))

    concepts = []
    for term in sorted(by_term):
        # prefer a billable code named by this very term, then the shortest (most general) code
        hits = sorted(set(by_term[term]), key=lambda h: (h[2], not h[1], len(h[0]), h[0]))
        code = hits[0][0]
        if not cm.is_leaf(code):
            leaves = [d for d in cm.get_descendants(code) if cm.is_leaf(d)]
            unspecified = [d for d in leaves if "unspecified" in cm.get_description(d).lower()]
            code = sorted(unspecified or leaves, key=lambda d: (len(d), d))[0] if leaves else code
        ptype = (
            "symptom" if in_ranges(code, symptom_ranges)
            else "sign" if in_ranges(code, sign_ranges) else "diagnosis"
        )
        concepts.append({
            "preferred": term, "category": "PROBLEM", "type": ptype, "synonyms": [],
            "case_sensitive": [], "icd10cm": [code], "source": "icd10cm",
        })
    return concepts, version


# -- assembly -----------------------------------------------------------------------------------
def load_sources() -> tuple[list[dict], dict[str, str]]:
    concepts, hashes = [], {}
    for path in sorted(SOURCES.glob("*.jsonl")):
        raw = path.read_bytes()
        hashes[path.name] = hashlib.sha256(raw).hexdigest()
        for lineno, line in enumerate(raw.decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            item = json.loads(line)
            missing = REQUIRED - item.keys()
            if missing:
                raise ValueError(f"{path.name}:{lineno}: missing {sorted(missing)}")
            if item["category"] not in CATEGORY_FILES:
                raise ValueError(f"{path.name}:{lineno}: unknown category {item['category']!r}")
            item["source"] = "curated"
            concepts.append(item)
    return concepts, hashes


def build(out_dir: Path = LEXICON_DIR) -> dict:
    """Build every lexicon into ``out_dir``; return the manifest."""
    import simple_icd_10_cm as cm

    seed = load_rules("icd10cm_seed.json")
    curated, hashes = load_sources()
    seeded, icd_version = seed_icd10cm(seed)
    blocked_terms = {_key(t) for t in seed["never_match"]}

    owner: dict[str, int] = {}  # term key -> concept index
    cs_owner: dict[str, int] = {}
    concepts: list[dict] = []
    code_to_concept: dict[str, int] = {}
    conflicts: list[str] = []

    def add(item: dict) -> None:
        index = len(concepts)
        category = item["category"]
        names = [item["preferred"], *item.get("synonyms", []), *item.get("brands", [])]
        terms = []
        cs_extra = []
        for name in names:
            for v in variants(name):
                k = _key(v)
                if not k:
                    continue
                if k in blocked_terms or k in STOP_WORDS:
                    # an abbreviation that is also a word ("AS", "ED") matches only in its own case
                    if any(ch.isupper() for ch in v):
                        cs_extra.append(v)
                    continue
                if k in owner and owner[k] != index:
                    if item["source"] == "curated":
                        conflicts.append(f"{v!r}: {concepts[owner[k]]['preferred']!r} kept, {item['preferred']!r} dropped")
                    continue
                owner[k] = index
                terms.append(v)
        cs_terms = []
        for v in [*item.get("case_sensitive", []), *cs_extra]:
            if v in cs_owner:
                continue
            cs_owner[v] = index
            cs_terms.append(v)
        if not terms and not cs_terms:
            return
        codes = []
        for code in item.get("icd10cm", []):
            if not cm.is_valid_item(code):
                raise ValueError(f"{item['preferred']!r}: invalid ICD-10-CM code {code}")
            codes.append({"code": code, "display": cm.get_description(code), "billable": cm.is_leaf(code)})
        concept = {
            "id": None, "preferred": item["preferred"], "category": category, "type": item["type"],
            "terms": list(dict.fromkeys(terms)), "case_sensitive": cs_terms, "codes": codes,
            "source": item["source"],
        }
        if item.get("brands"):
            concept["brands"] = item["brands"]
        concepts.append(concept)
        for c in codes[:1]:
            code_to_concept.setdefault(c["code"], index)

    # curated first, in category priority order, then ICD-10-CM seeds
    order = ["PROBLEM", "MEDICATION", "TEST_OR_PROCEDURE", "ANATOMY"]
    for category in order:
        for item in sorted((c for c in curated if c["category"] == category), key=lambda c: c["preferred"].lower()):
            add(item)
    merged = 0
    first_codes = defaultdict(int)
    for c in concepts:
        if c["codes"]:
            first_codes[c["codes"][0]["code"]] += 1
    for item in seeded:
        code = item["icd10cm"][0]
        # merge a seeded term into the curated concept with the same code, unless the code is a
        # catch-all ("Other specified ...", or shared by several curated concepts)
        catch_all = first_codes[code] > 1 or cm.get_description(code).lower().startswith("other")
        if code in code_to_concept and concepts[code_to_concept[code]]["source"] == "curated" and not catch_all:
            target = concepts[code_to_concept[code]]
            for v in variants(item["preferred"]):
                k = _key(v)
                if k not in owner and k not in blocked_terms:
                    owner[k] = code_to_concept[code]
                    target["terms"].append(v)
                    merged += 1
            continue
        add(item)

    out_dir.mkdir(parents=True, exist_ok=True)
    counters: dict[str, int] = defaultdict(int)
    manifest_lexicons = {}
    for category, fname in CATEGORY_FILES.items():
        rows = [c for c in concepts if c["category"] == category]
        for c in rows:
            counters[category] += 1
            c["id"] = f"{ID_PREFIX[category]}{counters[category]:05d}"
        path = out_dir / f"{fname}.jsonl"
        payload = "".join(json.dumps(c, ensure_ascii=False, sort_keys=False) + "\n" for c in rows)
        path.write_text(payload, encoding="utf-8")
        manifest_lexicons[fname] = {
            "concepts": len(rows),
            "terms": sum(len(c["terms"]) + len(c["case_sensitive"]) for c in rows),
            "curated": sum(c["source"] == "curated" for c in rows),
            "icd10cm_seeded": sum(c["source"] == "icd10cm" for c in rows),
            "sha256": hashlib.sha256(payload.encode("utf-8")).hexdigest(),
        }
    manifest = {
        "build_command": "python -m nlp_service.resources.build",
        "icd10cm_release": icd_version,
        "sources_sha256": hashes,
        "seed_rules_sha256": hashlib.sha256(
            json.dumps(seed, sort_keys=True).encode("utf-8")
        ).hexdigest(),
        "lexicons": manifest_lexicons,
        "seeded_terms_merged_into_curated": merged,
        "conflicts": sorted(conflicts),
    }
    (out_dir / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main() -> int:
    manifest = build()
    print(json.dumps({k: v for k, v in manifest.items() if k != "conflicts"}, indent=2))
    print(f"{len(manifest['conflicts'])} curated term conflicts (see MANIFEST.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
