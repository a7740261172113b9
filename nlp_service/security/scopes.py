"""Scopes and the principal a request acts as."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import Errors

#: Every scope, in display order. ``admin`` grants all of them.
SCOPES: tuple[str, ...] = ("records", "deidentify", "triage", "qa", "search", "admin")
ADMIN = "admin"


def parse_scopes(value: str | Iterable[str]) -> tuple[str, ...]:
    """Scope names from ``"records,qa"`` (commas or spaces) or a list, checked and in display order.

    >>> parse_scopes("qa, records")
    ('records', 'qa')

    Raises:
        ServiceError: E421 for a name that is not a scope, or when none is given.
    """
    names = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    for name in names:
        if name not in SCOPES:
            raise Errors.UNKNOWN_SCOPE.error(name=name, choices=", ".join(SCOPES))
    if not names:
        raise Errors.UNKNOWN_SCOPE.error(name="", choices=", ".join(SCOPES))
    return tuple(s for s in SCOPES if s in names)


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: an API key (``id`` is its key id) or a JWT subject (``jwt:<sub>``).

    >>> Principal("3f2a9c0d1e4b", frozenset({"records"})).allows("qa")
    False
    >>> Principal("jwt:ehr-1", frozenset({"admin"})).allows("qa")
    True
    """

    id: str
    scopes: frozenset[str]
    kind: str = "key"

    def allows(self, scope: str) -> bool:
        return ADMIN in self.scopes or scope in self.scopes
