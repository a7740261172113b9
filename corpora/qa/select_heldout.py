"""Choose the held-out MedQuAD questions for the question-answering evaluation.

One answered question-answer pair is drawn from each of 330 MedQuAD documents (seeded, so the choice
is reproducible). ``medquad_heldout.jsonl`` keeps each drawn pair's fields as printed here, plus a
hand-written patient-style rewrite of its question (WRITING_HELDOUT.md, DATASHEET.md). The importer
keeps the drawn questions out of the question index when it is given that file (``--holdout``), so
that the evaluation never finds the question it asks.

    python corpora/qa/select_heldout.py ../shared/corpora/medquad   # prints the 330 drawn pairs
"""

from __future__ import annotations

import json
import random
import sys
import xml.etree.ElementTree as ET  # noqa: S405 (a local, trusted distribution; the importer uses defusedxml)
from pathlib import Path

SEED, DOCUMENTS = 13, 330


def answered_documents(root: Path) -> list[tuple[str, list[dict[str, str]]]]:
    docs = []
    for path in sorted(root.glob("*/*.xml")):
        doc = ET.parse(path).getroot()  # noqa: S314
        focus = (doc.findtext("Focus") or "").strip()
        pairs = []
        for pair in doc.iter("QAPair"):
            question, answer = pair.find("Question"), pair.findtext("Answer") or ""
            if question is None or not answer.strip() or not (question.text or "").strip():
                continue
            pairs.append({"qid": question.get("qid", ""), "qtype": question.get("qtype", ""),
                          "question": " ".join(question.text.split()), "focus": focus,
                          "source": doc.get("source", ""), "document": f"{path.parent.name}/{path.name}"})
        if pairs:
            docs.append((f"{path.parent.name}/{path.name}", pairs))
    return docs


def main(root: str) -> None:
    rng = random.Random(SEED)
    docs = answered_documents(Path(root))
    for _, pairs in sorted(rng.sample(docs, DOCUMENTS)):
        print(json.dumps(rng.choice(pairs), ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
