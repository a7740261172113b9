"""Data files shipped with the package: lexicons, rules and patterns, each with its provenance.

Everything here is data, not code; loaders return plain Python values and never execute content.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import Errors

PACKAGE_ROOT = Path(str(resources.files(__package__)))
LEXICON_DIR = PACKAGE_ROOT / "lexicons"
RULES_DIR = PACKAGE_ROOT / "rules"


def rules_path(name: str) -> Path:
    """Path of a rules file, e.g. ``rules_path("context_rules.json")``."""
    return RULES_DIR / name


@cache
def load_rules(name: str) -> dict[str, Any]:
    """Load a JSON rules file by file name; the result is shared, so treat it as read-only."""
    path = rules_path(name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise Errors.RESOURCE_INVALID.error(name=name, reason=str(exc)) from exc
    if "provenance" not in data:
        raise Errors.RESOURCE_INVALID.error(name=name, reason="it states no provenance")
    return data


def lexicon_path(name: str) -> Path:
    """Path of a built lexicon, e.g. ``lexicon_path("problems")``."""
    return LEXICON_DIR / f"{name}.jsonl"


@cache
def load_lexicon(name: str) -> tuple[dict[str, Any], ...]:
    """Load a built lexicon (JSON Lines, one concept per line); shared and read-only."""
    path = lexicon_path(name)
    if not path.is_file():
        raise Errors.RESOURCE_INVALID.error(
            name=f"lexicon {name!r}", reason=f"{path} does not exist; available: {available_lexicons()}"
        )
    concepts = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                concepts.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise Errors.RESOURCE_INVALID.error(
                    name=f"lexicon {name!r}", reason=f"line {lineno}: {exc}"
                ) from exc
    return tuple(concepts)


def available_lexicons() -> list[str]:
    """Names of the built lexicons shipped with the package."""
    return sorted(p.stem for p in LEXICON_DIR.glob("*.jsonl"))


def verify_lexicons() -> list[str]:
    """Problems with the built lexicons: missing files or files that differ from MANIFEST.json."""
    manifest_path = LEXICON_DIR / "MANIFEST.json"
    if not manifest_path.is_file():
        return [f"{manifest_path} is missing; run `make lexicons`"]
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    problems = []
    for name, info in manifest["lexicons"].items():
        path = lexicon_path(name)
        if not path.is_file():
            problems.append(f"lexicon {name!r} is missing ({path})")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != info["sha256"]:
            problems.append(f"lexicon {name!r} differs from MANIFEST.json; rebuild with `make lexicons`")
    return problems
