"""Which knowledge-base topics a question names, where, and how plainly.

A patient's question names its topic among other medical words: "my son got a virus, then chest pain,
and the ER said his heart muscle is inflamed, myocarditis. What exactly is myocarditis?" Both "chest
pain" and "myocarditis" are KB topics; the focus is the one the question asks about. A topic's
*mention* is the best run of its name's words (or a synonym's) that the question holds **in order and
side by side** (words of the name may be left out, "Charcot Marie Tooth type 4" for "Charcot-Marie-Tooth
disease type 4"), weighted by how rare each word is in the KB's questions and answers. Misspelt words match
(one edit for words of 4 to 7 letters, two for longer ones: ``allowed_edits``), and so does a name word
that the question splits in two ("non photosensitive" for "nonphotosensitive"). The sentences that ask ("What
exactly is myocarditis?") are kept apart: the question type is read from them as well as from the whole.

>>> q = QuestionText("The ER said myocarditis. What exactly is myocarditis?")
>>> q.asking_text()
'What exactly is myocarditis?'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

FUZZY_LENGTH = 4  # shorter words must be spelt right


def allowed_edits(word: str) -> int:
    """Edits (Levenshtein) a misspelling of ``word`` may have: none under 4 letters, 1 under 8, else 2."""
    return 0 if len(word) < FUZZY_LENGTH else 1 if len(word) < 8 else 2
_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE = re.compile(r"[^.?!\n;]+[.?!\n;]*")
# a sentence that asks: it ends with "?" or opens like a question or a request for information
_ASKING = re.compile(
    r"^\W*(?:\w+\W+){0,3}?(what|whats|how|why|when|which|who|where|is|are|can|could|does|do|did|should|will|would|"
    r"any|anything|has|have|tell|explain|info|information|looking)\b")


def fold(text: str) -> str:
    """Lower case without accents: "Behçet's" -> "behcet's"."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def words(text: str) -> list[str]:
    """The words of a name or question: folded, split at punctuation, possessive "s" dropped."""
    return [w for w in _WORD.findall(fold(text)) if w != "s"]


class QuestionText:
    """A question's words, the sentence each stands in, and which sentences ask."""

    def __init__(self, text: str) -> None:
        self.tokens: list[str] = []
        self.sentence: list[int] = []
        self.asking: set[int] = set()
        self.asked: list[str] = []  # the sentences that ask, as written
        for i, match in enumerate(_SENTENCE.finditer(text)):
            sentence = match.group()
            found = words(sentence)
            if not found:
                continue
            if sentence.rstrip().endswith("?") or _ASKING.match(fold(sentence)):
                self.asking.add(i)
                self.asked.append(sentence.strip())
            self.tokens += found
            self.sentence += [i] * len(found)
        # spans a name word may match: single words, and two neighbours run together ("car sick")
        self.spans: dict[str, list[tuple[int, int]]] = {}
        for p, token in enumerate(self.tokens):
            self.spans.setdefault(token, []).append((p, p + 1))
            if p + 1 < len(self.tokens) and self.sentence[p + 1] == self.sentence[p]:
                self.spans.setdefault(token + self.tokens[p + 1], []).append((p, p + 2))
        self._matches: dict[str, list[tuple[int, int]]] = {}

    def asking_text(self) -> str:
        """The sentences that ask, as written (empty when none does)."""
        return " ".join(self.asked)

    def match(self, vocabulary: Iterable[str]) -> None:
        """Find, once per question, where each name word appears (exactly, misspelt, or split apart)."""
        from rapidfuzz import process
        from rapidfuzz.distance import Levenshtein

        todo = [w for w in dict.fromkeys(vocabulary) if w not in self._matches]
        for w in todo:
            self._matches[w] = list(self.spans.get(w, ()))
        fuzzy = [w for w in todo if allowed_edits(w)]
        keys = [k for k in self.spans if len(k) >= FUZZY_LENGTH]
        if not fuzzy or not keys:
            return
        edits = process.cdist(fuzzy, keys, scorer=Levenshtein.distance, score_cutoff=2, workers=1)
        for i, w in enumerate(fuzzy):
            for j in (edits[i] <= allowed_edits(w)).nonzero()[0]:
                if keys[j] != w:
                    self._matches[w] += self.spans[keys[j]]

    def where(self, word: str) -> list[tuple[int, int]]:
        return self._matches.get(word, [])


@dataclass(frozen=True)
class Mention:
    share: float  # weighted share of the name's words in the best run
    mass: float  # their weight (rarer words weigh more)


def mention(question: QuestionText, name: str, weight: Callable[[str], float]) -> Mention:
    """The best in-order, side-by-side run of ``name``'s words in ``question``."""
    wanted = words(name)
    total = sum(weight(w) for w in wanted)
    if not wanted or total <= 0:
        return Mention(0.0, 0.0)
    hits = sorted((span, j) for j, w in enumerate(wanted) for span in question.where(w))
    ending: dict[int, list[tuple[int, float]]] = {}  # question position -> (name word, mass) of runs ending there
    mass = 0.0
    for (begin, end), j in hits:  # sorted by start: every run a hit can extend is already recorded
        run = weight(wanted[j]) + max((m for k, m in ending.get(begin, ()) if k < j), default=0.0)
        ending.setdefault(end, []).append((j, run))
        mass = max(mass, run)
    return Mention(mass / total, mass)


def best_mention(question: QuestionText, names: list[str], weight: Callable[[str], float],
                 synonym_discount: float = 0.95) -> Mention:
    """The best mention over a topic's name (first) and its synonyms (a synonym's share is discounted)."""
    best = Mention(0.0, 0.0)
    for i, name in enumerate(names):
        m = mention(question, name, weight)
        if i:
            m = Mention(m.share * synonym_discount, m.mass)
        if (m.share, m.mass) > (best.share, best.mass):
            best = m
    return best
