"""Score PHI detection against gold annotations (``phi`` in corpora/notes and corpora/phi).

Token level (the de-identification standard): a token is a run of letters or digits. Recall per type
is the share of that type's gold tokens covered by any predicted PHI span (a name caught as an
organisation is still removed); precision is the share of predicted tokens inside gold PHI. Span level:
exact (same span and type) and overlap (same type, spans overlap).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..records.evaluate import Counts, load_gold
from ..schemas import PhiType

_TOKEN = re.compile(r"[A-Za-z0-9]+")


def _token_types(text: str, spans: Iterable[tuple[int, int, str]]) -> dict[tuple[int, int], str]:
    """Every token inside a span, with that span's type."""
    spans = sorted(spans)
    out: dict[tuple[int, int], str] = {}
    for m in _TOKEN.finditer(text):
        for begin, end, kind in spans:
            if begin < m.end() and m.start() < end:
                out[(m.start(), m.end())] = kind
                break
    return out


def score_phi(items: Sequence[tuple[str, dict, Sequence[Any]]]) -> dict[str, Any]:
    """``items``: (text, gold annotation dict, predicted findings with type/begin/end)."""
    token_gold: dict[str, int] = defaultdict(int)
    token_hit: dict[str, int] = defaultdict(int)
    token_typed_hit: dict[str, int] = defaultdict(int)
    pred_tokens: dict[str, int] = defaultdict(int)
    pred_correct: dict[str, int] = defaultdict(int)
    exact: dict[str, Counts] = defaultdict(Counts)
    overlap: dict[str, Counts] = defaultdict(Counts)
    errors: list[dict[str, Any]] = []
    for text, gold, predicted in items:
        g_spans = [(p["begin"], p["end"], p["type"]) for p in gold.get("phi", [])]
        p_spans = [(f.begin, f.end, str(getattr(f.type, "value", f.type))) for f in predicted]
        g_tok = _token_types(text, g_spans)
        p_tok = _token_types(text, p_spans)
        for tok, kind in g_tok.items():
            token_gold[kind] += 1
            if tok in p_tok:
                token_hit[kind] += 1
                token_typed_hit[kind] += p_tok[tok] == kind
        for tok, kind in p_tok.items():
            pred_tokens[kind] += 1
            pred_correct[kind] += tok in g_tok
        for kind in {k for *_, k in g_spans} | {k for *_, k in p_spans}:
            gs = {(b, e) for b, e, k in g_spans if k == kind}
            ps = {(b, e) for b, e, k in p_spans if k == kind}
            exact[kind].add(Counts(len(gs & ps), len(ps - gs), len(gs - ps)))
            g_hit = sum(any(b < pe and pb < e for pb, pe in ps) for b, e in gs)
            p_hit = sum(any(b < ge and gb < e for gb, ge in gs) for b, e in ps)
            overlap[kind].add(Counts(g_hit, len(ps) - p_hit, len(gs) - g_hit))
        for b, e, kind in g_spans:
            if not any(b < pe and pb < e for pb, pe, _ in p_spans):
                errors.append({"note": gold["id"], "kind": f"missed {kind}", "text": text[b:e],
                               "context": text[max(0, b - 40) : e + 40].replace("\n", " ")})
        for f in predicted:
            b, e, kind = f.begin, f.end, str(getattr(f.type, "value", f.type))
            if not any(b < ge and gb < e for gb, ge, _ in g_spans):
                errors.append({"note": gold["id"], "kind": f"spurious {kind}", "text": text[b:e],
                               "context": text[max(0, b - 40) : e + 40].replace("\n", " "),
                               "recognizer": getattr(f, "recognizer", ""), "explanation": getattr(f, "explanation", "")})
    types = [t.value for t in PhiType]
    per_type = {}
    for kind in types:
        per_type[kind] = {
            "gold_tokens": token_gold[kind],
            "token_recall": round(token_hit[kind] / token_gold[kind], 4) if token_gold[kind] else None,
            "token_recall_same_type": round(token_typed_hit[kind] / token_gold[kind], 4) if token_gold[kind] else None,
            "token_precision": round(pred_correct[kind] / pred_tokens[kind], 4) if pred_tokens[kind] else None,
            "span_exact": exact[kind].scores(),
            "span_overlap": overlap[kind].scores(),
        }
    total_gold = sum(token_gold.values())
    total_pred = sum(pred_tokens.values())
    overall = {
        "gold_tokens": total_gold,
        "token_recall": round(sum(token_hit.values()) / total_gold, 4) if total_gold else None,
        "token_precision": round(sum(pred_correct.values()) / total_pred, 4) if total_pred else None,
        "span_exact": _sum(exact.values()).scores(),
        "span_overlap": _sum(overlap.values()).scores(),
    }
    return {"documents": len(items), "overall": overall, "types": per_type, "errors": errors}


def _sum(counts: Iterable[Counts]) -> Counts:
    total = Counts()
    for c in counts:
        total.add(c)
    return total


def evaluate_phi(service: Any, gold_dirs: Sequence[Path], split: str = "all") -> dict[str, Any]:
    """Run PHI detection over gold folders (notes and snippets) and score it."""
    items = []
    for folder in gold_dirs:
        for text, gold in load_gold(folder, split):
            items.append((text, gold, service.findings(text)))
    report = score_phi(items)
    report["split"] = split
    report["sources"] = [str(p) for p in gold_dirs]
    return report


def format_phi_report(report: dict[str, Any]) -> str:
    o = report["overall"]
    lines = [f"PHI detection, split={report['split']}: {report['documents']} documents, "
             f"{o['gold_tokens']} gold PHI tokens", "",
             f"{'type':<14}{'tok R':>7}{'tok R=':>8}{'tok P':>7}{'span P':>8}{'span R':>8}{'ovl R':>7}{'gold':>7}"]
    for kind, s in report["types"].items():
        if not s["gold_tokens"] and s["token_precision"] is None:
            continue
        fmt = lambda v: f"{v:.3f}" if isinstance(v, float) else "  -  "  # noqa: E731
        lines.append(f"{kind:<14}{fmt(s['token_recall']):>7}{fmt(s['token_recall_same_type']):>8}"
                     f"{fmt(s['token_precision']):>7}{s['span_exact']['precision']:>8.3f}{s['span_exact']['recall']:>8.3f}"
                     f"{s['span_overlap']['recall']:>7.3f}{s['gold_tokens']:>7}")
    lines += ["", f"overall token recall {o['token_recall']}, token precision {o['token_precision']}; "
              f"span exact F1 {o['span_exact']['f1']}, span overlap F1 {o['span_overlap']['f1']}", "",
              "tok R: share of gold tokens removed (found as any type); tok R=: found as the same type;",
              "tok P: share of predicted tokens that are gold PHI; span P/R: exact span and type; "
              "ovl R: gold spans overlapped by a same-type finding.", ""]
    return "\n".join(lines)


def _shift_offset(position: int, replacements: Sequence[Any]) -> int:
    """Where ``position`` of the original text lands in the de-identified text."""
    delta = 0
    for r in replacements:
        if r.end <= position:
            delta += (r.new_end - r.new_begin) - (r.end - r.begin)
    return position + delta


def entity_preservation(analyzer: Any, service: Any, gold_dirs: Sequence[Path], split: str = "all",
                        operators: Sequence[str] = ("mask", "surrogate")) -> dict[str, Any]:
    """How many clinical entities survive de-identification.

    For every gold text: analyse the original; keep the entities that overlap no gold PHI span (the
    clinical content de-identification must not touch); de-identify with each operator, analyse the
    result, and count an entity as kept when the same text with the same category is found at its
    shifted offsets. ``redacted`` counts those a PHI finding overlapped; ``changed`` those whose
    assertion differs afterwards.
    """
    out: dict[str, Any] = {}
    items = [(text, gold) for folder in gold_dirs for text, gold in load_gold(folder, split)]
    originals = [analyzer.analyze(text) for text, _ in items]
    for operator in operators:
        total = kept = redacted = changed = 0
        lost_examples: list[dict[str, Any]] = []
        for (text, gold), before in zip(items, originals, strict=True):
            phi_spans = [(p["begin"], p["end"]) for p in gold.get("phi", [])]
            result = service.deidentify(text, operator, patient_key=gold["id"])
            after = analyzer.analyze(result.text)
            found = {(e.begin, e.end, e.category): e for e in after.entities}
            for e in before.entities:
                if any(e.begin < pe and pb < e.end for pb, pe in phi_spans):
                    continue  # the entity contains PHI: removing it is the job
                total += 1
                if any(e.begin < r.end and r.begin < e.end for r in result.findings):
                    redacted += 1
                    lost_examples.append({"note": gold["id"], "entity": e.text, "why": "overlaps a PHI finding"})
                    continue
                match = found.get((_shift_offset(e.begin, result.findings), _shift_offset(e.end, result.findings),
                                   e.category))
                if match is None:
                    lost_examples.append({"note": gold["id"], "entity": e.text, "why": "not found again"})
                    continue
                kept += 1
                changed += match.assertion != e.assertion
        out[operator] = {"entities": total, "kept": kept, "redacted": redacted, "lost": total - kept,
                         "lost_rate": round((total - kept) / total, 4) if total else None,
                         "assertion_changed": changed, "lost_examples": lost_examples[:50]}
    return out
