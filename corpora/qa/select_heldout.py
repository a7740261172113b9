"""Choose the held-out MedQuAD questions for the question-answering evaluation.

One answered question-answer pair is drawn from each of 330 MedQuAD documents (seeded, so the choice
is reproducible). ``medquad_heldout.jsonl`` keeps each drawn pair's fields as printed here, plus a
hand-written patient-style rewrite of its question (WRITING_HELDOUT.md, DATASHEET.md). The importer
keeps the drawn questions out of the question index when it is given that file (``--holdout``), so
that the evaluation never finds the question it asks.

    python corpora/qa/select_heldout.py ../shared/corpora/medquad         # prints the 330 drawn pairs
    python corpora/qa/select_heldout.py ../shared/corpora/medquad --dev   # the 160 development pairs

The development pairs (``medquad_dev.jsonl``) come from 160 further documents, none of them a held-out
document. They are for tuning question understanding; they stay in the index, so figures on them are
optimistic and only the held-out figures are reported as results.
"""

from __future__ import annotations

import json
import random
import sys
import xml.etree.ElementTree as ET  # noqa: S405 (a local, trusted distribution; the importer uses defusedxml)
from pathlib import Path

SEED, DOCUMENTS = 13, 330
DEV_SEED, DEV_DOCUMENTS = 14, 160


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


def main(root: str, dev: bool = False) -> None:
    rng = random.Random(SEED)
    docs = answered_documents(Path(root))
    heldout = sorted(rng.sample(docs, DOCUMENTS))
    if not dev:
        for _, pairs in heldout:
            print(json.dumps(rng.choice(pairs), ensure_ascii=False))
        return
    taken = {name for name, _ in heldout}
    rng = random.Random(DEV_SEED)
    for _, pairs in sorted(rng.sample([d for d in docs if d[0] not in taken], DEV_DOCUMENTS)):
        print(json.dumps(rng.choice(pairs), ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1], dev="--dev" in sys.argv[2:])
