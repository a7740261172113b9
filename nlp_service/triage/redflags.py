"""Red-flag rules: emergencies named in lay words ("her face is droopy", "cant breathe").

Rules are data (``resources/rules/triage_red_flags.json``, with provenance). A match counts unless a
negation opens the same clause within five words before it ("no chest pain", "he is not having
trouble breathing"). Rules only ever raise urgency to ``emergency``; the response names each rule that
fired and the words that fired it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..resources import load_rules


@dataclass(frozen=True)
class RedFlag:
    rule: str
    name: str
    text: str
    begin: int
    end: int


@cache
def _compiled() -> tuple[re.Pattern[str], list[tuple[str, str, list[re.Pattern[str]], list[re.Pattern[str]]]]]:
    data = load_rules("triage_red_flags.json")
    negation = re.compile(data["negation"], re.I)
    rules = [(r["id"], r["name"], [re.compile(p, re.I) for p in r["patterns"]],
              [re.compile(p, re.I) for p in r.get("unless", [])]) for r in data["rules"]]
    return negation, rules


def _negated(text: str, begin: int, negation: re.Pattern[str]) -> bool:
    clause = re.split(r"[.;!?\n]|\bbut\b|\bhowever\b|\bthough\b", text[max(0, begin - 80):begin])[-1]
    words = clause.split()[-5:]
    return bool(negation.search(" ".join(words)))


def _negated_end(matched: str, negation: re.Pattern[str]) -> bool:
    """"5 week old daughter is stuffy, no fever": the last words of the match are themselves denied."""
    tail = re.split(r"[,;]", matched)[-1].split()[-3:]
    return bool(negation.search(" ".join(tail)))


def red_flags(text: str) -> list[RedFlag]:
    """Every rule that fires on ``text`` (first un-negated match of each rule)."""
    negation, rules = _compiled()
    out = []
    for rule_id, name, patterns, unless in rules:
        if any(u.search(text) for u in unless):
            continue
        for pattern in patterns:
            match = next((m for m in pattern.finditer(text)
                          if not _negated(text, m.start(), negation) and not _negated_end(m.group(0), negation)), None)
            if match:
                out.append(RedFlag(rule_id, name, match.group(0), match.start(), match.end()))
                break
    return out
