"""Assertions: certainty, temporality and subject for every entity, each with the cue that set it.

The cue detection and scope logic is medspaCy's ConText, run with our rule file
(``resources/rules/context_rules.json``; NegEx/ConText triggers plus clinical shorthand). Scope
never crosses a sentence, so we run ConText sentence block by sentence block: that keeps its
pairwise modifier comparison small on 100,000-character notes and gives identical results.

On top of ConText:

* the nearest cue wins when two cues set the same axis ("no evidence of possible pneumonia");
* a rule's ``metadata.also`` adds values ("no family history of" is negated *and* family);
* section context sets defaults: everything in a family-history section is about the family,
  everything in a past-history section is historical (``sections.json: section_assertions``).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import medspacy.common.medspacy_matcher as _medspacy_matcher
import medspacy.context.context_graph as _context_graph
import medspacy.context.context_modifier as _context_modifier
from medspacy.context import ConText
from spacy.language import Language
from spacy.tokens import Doc, Span

from ..resources import load_rules, rules_path
from ..schemas import Assertion, Cue
from .text import char_span, source_text

CATEGORY_VALUES: dict[str, tuple[str, str]] = {
    "NEGATED_EXISTENCE": ("certainty", "negated"),
    "POSSIBLE_EXISTENCE": ("certainty", "possible"),
    "HISTORICAL": ("temporality", "historical"),
    "HYPOTHETICAL": ("temporality", "hypothetical"),
    "FAMILY": ("subject", "family"),
    "OTHER_EXPERIENCER": ("subject", "other"),
}
DEFAULTS = {"certainty": "positive", "temporality": "current", "subject": "patient"}


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two half-open spans share a token.

    medspaCy 1.3.1's ``util.tuple_overlaps`` only tests whether ``b``'s ends fall inside ``a``, so
    a span that contains the other counts as no overlap. Then a terminator (whose scope is the
    whole sentence) never cuts a modifier whose scope ``max_scope`` shortened: "h/o HTN presents
    with chest pain" kept chest pain historical. ConText compares scopes with this symmetric test.
    """
    return a[0] < b[1] and b[0] < a[1]


def _same_paragraph(text: str, section, position: int) -> bool:
    """Whether ``position`` is in the first paragraph of the section's body.

    A section's defaults stop at its first blank line, so a missed header ("OB COURSE:") does not
    leave a whole hospital course inside "ALLERGIES".
    """
    body = text[section.body_begin : position]
    stripped = body.lstrip()
    return "\n\n" not in stripped.replace("\r", "").replace(" \n", "\n").replace("\t\n", "\n")


def _parenthesis_blocks(text: str, cue: Span, ent: Span, ents) -> bool:
    """Whether a bracket separates a cue from an entity.

    A cue inside brackets speaks only within them: in "osteoporosis (never treated), HTN" the
    cue does not reach HTN. A cue in brackets right after an entity does speak about it ("MI
    (2015)", "sulfa (rash)") unless another entity stands inside the brackets before the cue
    ("cholelithiasis (declined CCY in 2022)" dates the cholecystectomy, not the stones).
    """
    if cue.start_char >= ent.end_char:  # cue after the entity
        between = text[ent.end_char : cue.start_char]
        depth = 0
        for i, ch in enumerate(between):
            if ch == "(":
                depth += 1
                if depth == 1 and between[:i].strip():
                    return True  # bracket opens after other words: the cue is about those
            elif ch == ")":
                depth = max(0, depth - 1)
        if depth:
            opened = ent.end_char + between.index("(")
            return any(opened < e.start_char and e.end_char <= cue.start_char for e in ents)
        return False
    between = text[cue.end_char : ent.start_char]  # cue before the entity
    depth = 0
    for ch in between:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return True  # the cue's bracket closes before the entity
    return False


def _prune_longest(matches: list[tuple[int, int, int]], strategy: str = "longest") -> list[tuple[int, int, int]]:
    """Keep the longest of overlapping matches, then the earliest (like spaCy's filter_spans).

    medspaCy 1.3.1's ``prune_overlapping_matches`` compares each match only with its neighbour,
    so in a chain of three ("No family history of" / "family history of" / "history of") it keeps
    two overlapping cues and "No family history of epilepsy" also came out historical.
    """
    kept: list[tuple[int, int, int]] = []
    taken: set[int] = set()
    for match in sorted(matches, key=lambda m: (m[1] - m[2], m[1])):
        tokens = range(match[1], match[2])
        if any(t in taken for t in tokens):
            continue
        taken.update(tokens)
        kept.append(match)
    return sorted(kept, key=lambda m: (m[1], m[2]))


_context_modifier.tuple_overlaps = _overlaps
_context_graph.tuple_overlaps = _overlaps
_medspacy_matcher.prune_overlapping_matches = _prune_longest


@dataclass(slots=True)
class _Found:
    value: str
    distance: int
    cue: Cue


class AssertionTagger:
    """Runs ConText over a Doc's entities and stores ``span._.nlps_assertion`` and ``span._.nlps_cues``."""

    def __init__(
        self,
        nlp: Language,
        rules_file: str = "context_rules.json",
        block_tokens: int = 150,
        max_sentence_tokens: int = 120,
    ) -> None:
        rules = load_rules(rules_file)
        self.context = ConText(
            nlp,
            name="nlp_service_context",
            rules=str(rules_path(rules_file)),
            span_attrs=None,
            prune_on_modifier_overlap=True,
            terminating_types=rules.get("terminating_types"),
        )
        # body parts are not asserted: "no palpable gallbladder" negates a finding, not the organ
        self.unasserted = frozenset(rules.get("unasserted_categories", ()))
        self.prefix_cues: dict[str, tuple[str, str]] = {
            k.lower(): tuple(v) for k, v in rules.get("entity_prefix_cues", {}).items() if k != "comment"
        }
        self.block_tokens = block_tokens
        self.max_sentence_tokens = max_sentence_tokens
        # notes up to this size run in one piece; ConText compares every cue with every entity in
        # a piece, so longer notes run in blocks of ``block_tokens``
        self.direct_tokens = max(block_tokens, 1500)
        sections = load_rules("sections.json")
        self.section_assertions: dict[str, dict] = dict(
            sections.get("section_assertions", {}).get("categories", {})
        )

    def _scope_units(self, doc: Doc) -> list[tuple[int, int]]:
        """Sentences as ConText scopes, long ones cut at punctuation (``max_sentence_tokens``).

        A cue's scope never crosses a sentence. A 20,000-token "sentence" (a note without full
        stops) would make ConText compare every cue with every entity in it; cutting it at commas
        and semicolons bounds that work and matches how far a cue really reaches.
        """
        units: list[tuple[int, int]] = []
        limit = self.max_sentence_tokens
        for sent in doc.sents:
            start = sent.start
            while sent.end - start > limit:
                cut = None
                for i in range(start + limit // 2, min(sent.end, start + limit)):
                    if doc[i].text in {",", ";", ":"}:
                        cut = i + 1
                cut = cut or start + limit
                units.append((start, cut))
                start = cut
            units.append((start, sent.end))
        return units

    def _blocks(self, units: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
        """Consecutive scope units grouped into blocks of about ``block_tokens`` tokens."""
        blocks: list[list[tuple[int, int]]] = []
        current: list[tuple[int, int]] = []
        for unit in units:
            current.append(unit)
            if unit[1] - current[0][0] >= self.block_tokens:
                blocks.append(current)
                current = []
        if current:
            blocks.append(current)
        return blocks

    @staticmethod
    def _block_doc(doc: Doc, block: list[tuple[int, int]], ents: list[Span]) -> Doc:
        """A new Doc of the block's tokens and entities whose sentences are the block's scope units.

        Built from words rather than ``Span.as_doc``, which walks the whole parent Doc each time.
        """
        start, end = block[0][0], block[-1][1]
        tokens = doc[start:end]
        unit_starts = {unit_start - start for unit_start, _ in block}
        iob = ["O"] * len(tokens)
        for ent in ents:
            iob[ent.start - start] = f"B-{ent.label_}"
            for i in range(ent.start - start + 1, ent.end - start):
                iob[i] = f"I-{ent.label_}"
        return Doc(
            doc.vocab,
            words=[t.text for t in tokens],
            spaces=[bool(t.whitespace_) for t in tokens],
            sent_starts=[i in unit_starts for i in range(len(tokens))],
            ents=iob,
        )

    def _modifiers(self, doc: Doc) -> dict[tuple[int, int], list[tuple[str, _Found]]]:
        """For each entity, by its token range in ``doc``: the (axis, found) pairs from ConText."""
        per_entity: dict[tuple[int, int], list[tuple[str, _Found]]] = {}
        if not doc.ents:
            return per_entity
        text = source_text(doc)
        units = self._scope_units(doc)
        short = all(end - start <= self.max_sentence_tokens for start, end in units)
        if len(doc) <= self.direct_tokens and short:
            plan = [(doc, 0)]  # the common case: run ConText on the note itself
        else:
            ents = list(doc.ents)
            ent_starts = [e.start for e in ents]
            plan = []
            for block in self._blocks(units):
                lo = bisect.bisect_left(ent_starts, block[0][0])
                hi = bisect.bisect_left(ent_starts, block[-1][1])
                inside = [e for e in ents[lo:hi] if e.end <= block[-1][1]]
                if inside:
                    plan.append((self._block_doc(doc, block, inside), block[0][0]))
        for sub, shift in plan:  # ``shift``: token offset of ``sub`` in ``doc``
            self.context(sub)
            sub_ents = sub.ents
            sub_text = sub.text  # Doc.text is rebuilt on every access
            for ent in sub_ents:
                found: list[tuple[str, _Found]] = []
                per_entity[(ent.start + shift, ent.end + shift)] = found
                if ent.label_ in self.unasserted:
                    continue
                for mod in ent._.modifiers:
                    mapped = CATEGORY_VALUES.get(mod.category)
                    if mapped is None:
                        continue
                    m_start, m_end = mod.modifier_span
                    if _parenthesis_blocks(sub_text, sub[m_start:m_end], ent, sub_ents):
                        continue
                    distance = max(ent.start - m_end, m_start - ent.end, 0)
                    metadata = mod.rule.metadata or {}
                    reach = metadata.get("category_scope", {}).get(ent.label_)
                    if reach is not None and distance > reach:
                        continue  # this cue reaches fewer tokens for this kind of entity
                    rule_id = metadata.get("id", mod.rule.literal)
                    begin, end = char_span(doc, m_start + shift, m_end + shift)
                    values = [mapped, *metadata.get("also", {}).items()]
                    for axis, value in values:
                        cue = Cue(text=text[begin:end], begin=begin, end=end, axis=axis, value=value, rule=rule_id)
                        found.append((axis, _Found(value, distance, cue)))
        return per_entity

    def _prefix_cues(self, doc: Doc, ent: Span, text: str) -> list[tuple[str, _Found]]:
        """Values set by the words that open the entity itself ("prior MI")."""
        out = []
        for n in (3, 2, 1):
            if len(ent) <= n:
                continue
            words = " ".join(t.lower_ for t in ent[:n])
            if words in self.prefix_cues:
                axis, value = self.prefix_cues[words]
                begin, end = char_span(doc, ent.start, ent.start + n)
                cue = Cue(text=text[begin:end], begin=begin, end=end, axis=axis, value=value,
                          rule=f"prefix.{words.replace(' ', '_')}")
                out.append((axis, _Found(value, 0, cue)))
                break
        return out

    def __call__(self, doc: Doc) -> Doc:
        per_entity = self._modifiers(doc)
        text = source_text(doc)
        sections = doc._.nlps_sections
        si = 0
        for ent in doc.ents:
            found = per_entity.get((ent.start, ent.end), [])
            if ent.label_ not in self.unasserted:
                found = found + self._prefix_cues(doc, ent, text)
            best: dict[str, _Found] = {}
            for axis, f in found:
                if axis not in best or f.distance < best[axis].distance:
                    best[axis] = f
            # section context
            begin = char_span(doc, ent.start, ent.end)[0]
            while si + 1 < len(sections) and sections[si + 1].begin <= begin:
                si += 1
            section = sections[si] if sections and sections[si].begin <= begin else None
            ent._.nlps_section = section.category if section else None
            rule = self.section_assertions.get(section.category) if section is not None else None
            if rule is not None and ent.label_ in rule["entities"] and _same_paragraph(text, section, begin):
                for axis, value in rule["values"].items():
                    if axis not in best:
                        cue = Cue(
                            text=section.title,
                            begin=section.title_begin,
                            end=section.title_end,
                            axis=axis,
                            value=value,
                            rule=f"section.{section.category}",
                        )
                        best[axis] = _Found(value, 10**9, cue)
            values = {axis: best[axis].value if axis in best else default for axis, default in DEFAULTS.items()}
            ent._.nlps_assertion = Assertion(**values)
            ent._.nlps_cues = tuple(best[axis].cue for axis in DEFAULTS if axis in best)
        return doc
