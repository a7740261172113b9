"""Access and accountability, without Flask: API keys (stored as hashes), bearer JWTs checked
against a local key, an append-only audit log, and a SQLite storage for rate limits.

``nlp_service/api/auth.py`` wires these into the HTTP app; the CLI (``nlp-service keys``,
``nlp-service audit``) uses them directly.
"""

from .scopes import ADMIN, SCOPES, Principal, parse_scopes

__all__ = ["ADMIN", "SCOPES", "Principal", "parse_scopes"]
