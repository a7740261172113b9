"""De-identification operators, registered by name, and the de-identifier that applies them.

* ``redact``: replace with ``[REDACTED]``;
* ``mask``: replace with the type tag (``[NAME]``, ``[DATE]``);
* ``surrogate``: a realistic fake of the same shape, the same for the same value within a scope
  (one document, or one patient when the caller passes a patient key); dates are shifted;
* ``hash``: keyed hash (HMAC-SHA256 with the server secret) with the type, stable everywhere;
* ``shift_dates``: dates moved by the scope's offset in their own format; other types are masked.

Scopes and offsets derive from the server secret with HMAC, so nobody without the secret can
recompute a mapping, and one patient's documents always get the same offset and surrogates.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from ..errors import Errors
from ..schemas import DeidentifyResult, PhiType, Replacement
from ..version import __version__
from .base import Finding
from .dates import shift_date
from .recognizers import name_lists, place_lists, rules


@dataclass(frozen=True)
class Scope:
    """Where consistency holds: the server secret plus a patient key or a one-off document key."""

    secret: bytes
    key: str

    def digest(self, *parts: str) -> bytes:
        return hmac.new(self.secret, "\x1f".join((self.key, *parts)).encode("utf-8"), hashlib.sha256).digest()

    def rng(self, *parts: str) -> random.Random:
        return random.Random(int.from_bytes(self.digest(*parts)[:8], "big"))

    @property
    def date_offset(self) -> int:
        """Days to shift this scope's dates: between -365 and 365, never 0."""
        value = int.from_bytes(self.digest("date-offset")[:4], "big") % 730 - 365
        return value if value != 0 else 183


def _keep_case(original: str, new: str) -> str:
    if original.isupper() and len(original) > 1:
        return new.upper()
    if original.islower():
        return new.lower()
    return new


def _same_shape(value: str, rng: random.Random) -> str:
    """Digits to digits, letters to letters, everything else kept."""
    out = []
    for ch in value:
        if ch.isdigit():
            out.append(str(rng.randint(0, 9)))
        elif ch.isalpha():
            letter = chr(rng.randint(0, 25) + ord("a"))
            out.append(letter.upper() if ch.isupper() else letter)
        else:
            out.append(ch)
    return "".join(out)


@cache
def _surrogate_lists() -> dict[str, tuple[str, ...]]:
    from faker.providers.person.en_US import Provider as Person

    cities, states = place_lists()
    return {
        "first": tuple(sorted(Person.first_names)),
        # names Faker lists for one gender only, in every locale ("Kelly", "Alex" are on neither list)
        "first_male": tuple(sorted(n for n in Person.first_names_male if n.lower() in _genders()[0])),
        "first_female": tuple(sorted(n for n in Person.first_names_female if n.lower() in _genders()[1])),
        "last": tuple(sorted(Person.last_names)),
        "cities": tuple(sorted(c.title() for c in cities)),
        "state_abbr": tuple(sorted(states)),
        "state_names": tuple(sorted(states.values())),
        "street_suffixes": ("St", "Ave", "Rd", "Blvd", "Dr", "Ln", "Ct", "Way", "Pl"),
    }


@cache
def _genders() -> tuple[frozenset[str], frozenset[str]]:
    """First names (lower case) Faker lists only as male, and only as female, over its Latin-script locales."""
    import importlib

    male, female = set(), set()
    for locale in ("en_US", "en_GB", "es_MX", "es_ES", "fr_FR", "de_DE", "it_IT", "pt_BR", "pl_PL", "nl_NL"):
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        male |= {n.lower() for n in getattr(provider, "first_names_male", ()) or ()}
        female |= {n.lower() for n in getattr(provider, "first_names_female", ()) or ()}
    return frozenset(male - female), frozenset(female - male)


def _first_name_pool(name: str, lists: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """A surrogate first name keeps the original's gender where the name lists tell it ("Luis" -> a male name)."""
    male, female = _genders()
    if name in male:
        return lists["first_male"]
    if name in female:
        return lists["first_female"]
    return lists["first"]


def surrogate(kind: PhiType, value: str, scope: Scope) -> str:
    """A realistic fake for ``value``: the same for the same value within the scope."""
    lists = _surrogate_lists()
    if kind is PhiType.DATE:
        return shift_date(value, scope.date_offset) or "[DATE]"
    if kind is PhiType.AGE:
        return "90+"
    if kind is PhiType.NAME:
        first_names, _ = name_lists()
        particles = set(rules()["name_particles"])
        parts = []
        for token in re.split(r"(\s+|,\s*|-)", value):
            bare = token.strip(".").lower()
            if not token.strip() or token in {",", "-"} or token.startswith(",") or bare in particles:
                parts.append(token)
            elif len(bare.replace(".", "")) <= 2 or re.fullmatch(r"(?:[A-Z]\.){1,3}", token):
                rng = scope.rng("initial", bare)
                letters = "".join(chr(rng.randint(0, 25) + 65) for _ in bare.replace(".", ""))
                parts.append(".".join(letters) + "." if "." in token else letters)
            else:
                pool = _first_name_pool(bare, lists) if bare in first_names else lists["last"]
                parts.append(_keep_case(token, scope.rng("name", bare).choice(pool)))
        return "".join(parts)
    if kind is PhiType.EMAIL:
        rng = scope.rng("email", value.lower())
        return f"{rng.choice(lists['first']).lower()}.{rng.choice(lists['last']).lower()}@example.org"
    if kind is PhiType.URL:
        if re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", value):  # an IP address stays an IP address
            rng = scope.rng("ip", value)
            return "10." + ".".join(str(rng.randint(0, 255)) for _ in range(3))
        return "https://example.org/" + scope.digest("url", value.lower()).hex()[:8]
    if kind is PhiType.PHONE:  # digits only: "x204" stays an extension
        rng = scope.rng("phone", re.sub(r"\D", "", value))
        return re.sub(r"\d", lambda _: str(rng.randint(0, 9)), value)
    if kind is PhiType.ID:
        return _same_shape(value, scope.rng("id", re.sub(r"\W", "", value).lower()))
    if kind is PhiType.LOCATION:
        rng = scope.rng("location", value.lower())
        if re.match(r"\s*\d", value):
            street = f"{rng.randint(10, 9999)} {rng.choice(lists['last'])} {rng.choice(lists['street_suffixes'])}"
            return _keep_case(value, street)
        if re.fullmatch(r"\d{5}(?:-\d{4})?", value):
            return _same_shape(value, rng)
        if value.upper() in lists["state_abbr"]:
            return rng.choice(lists["state_abbr"])
        if value.title() in lists["state_names"]:
            return _keep_case(value, rng.choice(lists["state_names"]))
        return _keep_case(value, rng.choice(lists["cities"]))
    if kind is PhiType.ORGANIZATION:
        rng = scope.rng("organization", value.lower())
        words = value.split()
        suffixes = {s.lower() for s in rules()["org_suffixes"]}
        tail = [w for w in words[1:] if w.lower().strip(".,") in suffixes] or ["Medical Center"]
        return _keep_case(value, f"{rng.choice(lists['last'])} {' '.join(tail)}")
    return f"[{kind.value}]"


OperatorFn = Callable[[PhiType, str, Scope], str]

#: Every operator, by name.
OPERATORS: dict[str, OperatorFn] = {
    "redact": lambda kind, value, scope: "[REDACTED]",
    "mask": lambda kind, value, scope: f"[{kind.value}]",
    "surrogate": surrogate,
    "hash": lambda kind, value, scope: "[{}:{}]".format(
        kind.value,
        hmac.new(scope.secret, f"{kind.value}:{' '.join(value.lower().split())}".encode(), hashlib.sha256).hexdigest()[:12],
    ),
    "shift_dates": lambda kind, value, scope: (
        shift_date(value, scope.date_offset) or "[DATE]" if kind is PhiType.DATE else f"[{kind.value}]"
    ),
}


def check_operators(operator: str, per_type: Mapping[str, str]) -> dict[PhiType, str]:
    """Validate the operator choice; return the operator for every PHI type.

    Raises:
        ServiceError: E108 (unknown operator, naming the choices), E109 (unknown PHI type).
    """
    choices = ", ".join(sorted(OPERATORS))
    for name in (operator, *per_type.values()):
        if name.lower() not in OPERATORS:
            raise Errors.UNKNOWN_OPERATOR.error(name=name, choices=choices)
    plan = {kind: operator.lower() for kind in PhiType}
    for kind, name in per_type.items():
        try:
            plan[PhiType(kind.upper())] = name.lower()
        except ValueError:
            raise Errors.UNKNOWN_PHI_TYPE.error(name=kind, choices=", ".join(t.value for t in PhiType)) from None
    return plan


def deidentify(
    text: str,
    findings: Sequence[Finding],
    secret: bytes,
    operator: str = "mask",
    operators: Mapping[str, str] | None = None,
    patient_key: str | None = None,
    return_originals: bool = False,
) -> DeidentifyResult:
    """Replace every finding in ``text``; report each replacement with offsets in both texts."""
    plan = check_operators(operator, operators or {})
    scope = Scope(secret, f"patient:{patient_key}" if patient_key else f"document:{secrets.token_hex(16)}")
    out: list[str] = []
    replacements: list[Replacement] = []
    cursor = 0
    new_length = 0
    for f in sorted(findings, key=lambda f: f.begin):
        out.append(text[cursor : f.begin])
        new_length += f.begin - cursor
        value = text[f.begin : f.end]
        name = plan[f.type]
        new = OPERATORS[name](f.type, value, scope)
        replacements.append(
            Replacement(
                type=f.type, begin=f.begin, end=f.end, score=f.score, recognizer=f.recognizer,
                explanation=f.explanation, text=value if return_originals else None, operator=name,
                replacement=new, new_begin=new_length, new_end=new_length + len(new),
            )
        )
        out.append(new)
        new_length += len(new)
        cursor = f.end
    out.append(text[cursor:])
    return DeidentifyResult(text="".join(out), operator=operator.lower(), findings=replacements, version=__version__)
