"""Knowledge bases of trusted question-answer pairs: reading, importing MedQuAD, storing.

A knowledge base (KB) is a folder under ``qa.data_dir``::

    NAME/
      entries.jsonl        one KBEntry per line (the KB's content; ``nlp-service kb import`` writes it)
      heldout.json         ids whose question is kept out of the question index (evaluation hold-out)
      import_report.json   what the import read, skipped and why
      index/               built by ``nlp-service kb build``: questions/ and answers/ collections
                           (nlp_service.search.collection), the question-type model, kb.json

The MedQuAD importer reads the distribution in its original XML layout (one folder per source, one
file per document). It keeps each answered pair with its qid, qtype, focus (and its synonyms), UMLS CUIs, source
and URL; it skips empty answers (three MedQuAD sources ship without answers), reports duplicates and
malformed files, and never lets one bad file stop the import. XML is parsed with defusedxml.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..config import format_validation_error
from ..errors import Errors
from ..schemas import QTYPES, KBEntry

MEDQUAD_LICENCE = "CC BY 4.0 (MedQuAD, Ben Abacha & Demner-Fushman 2019)"


def read_entries(lines: Iterable[str | bytes], source: str) -> tuple[list[KBEntry], list[dict[str, Any]]]:
    """KB entries from JSONL lines, and a problem for each bad line (line number and reason); the good
    lines are kept."""
    entries: list[KBEntry] = []
    problems: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, raw in enumerate(lines, start=1):
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError:
                problems.append({"line": number, "reason": "not UTF-8"})
                continue
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append({"line": number, "reason": f"not valid JSON ({exc.msg})"})
            continue
        if not isinstance(data, dict):
            problems.append({"line": number, "reason": "not a JSON object"})
            continue
        try:
            entry = KBEntry.model_validate(data)
        except ValidationError as exc:
            problems.append({"line": number, "reason": "; ".join(format_validation_error(exc))})
            continue
        if entry.id in seen:
            problems.append({"line": number, "reason": f"duplicate id {entry.id!r}"})
            continue
        seen.add(entry.id)
        entries.append(entry)
    if not entries:
        raise Errors.INVALID_RECORDS.error(path=source, count=len(problems),
                                           reason=problems[0]["reason"] if problems else "the file is empty")
    return entries, problems


def _text(node: Any) -> str:
    return " ".join((node.text or "").split()) if node is not None else ""


# MedQuAD's XML comes in two layouts: <Document> (most sources) and <doc> (NINDS)
_LAYOUTS: dict[str, dict[str, str]] = {
    "Document": {"focus": "Focus", "cui": "CUI", "source": "source", "pair": "QAPair", "question": "Question", "answer": "Answer"},
    "doc": {"focus": "doctitle-focus", "cui": "cui", "source": "corpus", "pair": "pair", "question": "question", "answer": "answer"},
}
_LAYOUTS["DiseaseFile"] = _LAYOUTS["Document"]  # one CDC file
_QUESTION_KEY = re.compile(r"[^a-z0-9]+")


def import_medquad(root: Path) -> tuple[list[KBEntry], dict[str, Any]]:
    """Answered pairs of a MedQuAD distribution (``root`` holds the ``N_Source_QA`` folders), and a report."""
    from defusedxml import ElementTree

    if not root.is_dir():
        raise Errors.INPUT_NOT_FOUND.error(path=str(root))
    files = sorted(root.glob("*/*.xml"))
    if not files:
        raise Errors.GOLD_INVALID.error(path=str(root), reason="no MedQuAD XML files (expected FOLDER/*.xml, e.g. 1_CancerGov_QA/0000001_1.xml)")
    entries: list[KBEntry] = []
    report: dict[str, Any] = {"files": len(files), "pairs": 0, "imported": 0, "empty_answers": 0,
                              "duplicate_ids": 0, "duplicate_pairs": 0, "malformed_pairs": [], "malformed_files": [],
                              "by_source": Counter()}
    ids: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    for path in files:
        name = f"{path.parent.name}/{path.name}"
        try:
            doc = ElementTree.parse(path).getroot()
        except Exception as exc:  # noqa: BLE001 (any parse failure: report the file, keep going)
            report["malformed_files"].append({"file": name, "reason": f"{type(exc).__name__}: {exc}"[:300]})
            continue
        if doc.tag not in _LAYOUTS:
            report["malformed_files"].append({"file": name, "reason": f"root element is <{doc.tag}>, not <Document>"})
            continue
        tag = _LAYOUTS[doc.tag]
        focus = _text(doc.find(tag["focus"]))
        cuis = [c for c in (_text(n) for n in doc.iter(tag["cui"])) if c]
        synonyms = list(dict.fromkeys(x for x in (_text(n) for n in doc.iter("Synonym")) if x and x != focus))
        source, url = doc.get(tag["source"], "") or path.parent.name, doc.get("url") or None
        for pair in doc.iter(tag["pair"]):
            report["pairs"] += 1
            question_node = pair.find(tag["question"])
            answer = (pair.findtext(tag["answer"]) or "").strip()
            if not answer:
                report["empty_answers"] += 1
                continue
            qid = question_node.get("qid", "") if question_node is not None else ""
            qtype = question_node.get("qtype", "") if question_node is not None else ""
            question = _text(question_node)
            problem = ("no question" if not question else "no qid" if not qid else "no focus" if not focus
                       else f"unknown qtype {qtype!r}" if qtype not in QTYPES else None)
            if problem:
                report["malformed_pairs"].append({"file": name, "qid": qid or None, "reason": problem})
                continue
            entry_id = medquad_id(source, path.stem, qid)
            if entry_id in ids:
                report["duplicate_ids"] += 1
                continue
            key = (_QUESTION_KEY.sub(" ", question.lower()).strip(), " ".join(answer.split()))
            if key in pairs:
                report["duplicate_pairs"] += 1
                continue
            ids.add(entry_id)
            pairs.add(key)
            entries.append(KBEntry(id=entry_id, qid=qid, question=question, answer=answer, source=source, url=url, focus=focus,
                                   qtype=qtype, licence=MEDQUAD_LICENCE, cuis=cuis, synonyms=synonyms, document=name))
            report["by_source"][source] += 1
    report["imported"] = len(entries)
    report["by_source"] = dict(sorted(report["by_source"].items()))
    return entries, report


def medquad_id(source: str, document: str, qid: str) -> str:
    """A KB id for a MedQuAD pair. qids repeat across sources, and a few CancerGov files reuse another
    file's qids, so the id is ``SOURCE_QID``, or ``SOURCE_FILE_QID`` when the qid is not the file's own."""
    return f"{source}_{qid}" if qid.startswith(document + "-") else f"{source}_{document}_{qid}"


def write_entries(path: Path, entries: Iterable[KBEntry]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for entry in entries:
            out.write(entry.model_dump_json(exclude_none=True) + "\n")
    tmp.replace(path)


def iter_entries(path: Path) -> Iterator[KBEntry]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield KBEntry.model_validate_json(line)


def heldout_ids(path: Path) -> set[str]:
    """KB ids of every line of a held-out question file (corpora/qa/medquad_heldout.jsonl)."""
    if not path.is_file():
        raise Errors.INPUT_NOT_FOUND.error(path=str(path))
    ids = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                row = json.loads(line)
                ids.add(medquad_id(row["source"], Path(row["document"]).stem, row["qid"]))
            except (json.JSONDecodeError, KeyError, TypeError):
                raise Errors.GOLD_INVALID.error(path=str(path), reason=f"line {number} needs 'source', 'document' and 'qid'") from None
    return ids
