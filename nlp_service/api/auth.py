"""Who may call what, and a record of every call: the HTTP side of ``nlp_service.security``.

Per request, in this order (Flask runs ``before_request`` hooks in the order they are registered):

1. ``request_log`` gives the request its id and start time;
2. :func:`_authenticate` finds the endpoint's scope in :data:`BLUEPRINT_SCOPES` /
   :data:`ENDPOINT_SCOPES` (public rules in :data:`PUBLIC_RULES` need none), reads the credentials
   (``Authorization: Bearer <token>`` or ``X-API-Key: <token>``), and refuses with 401 (none, or
   not accepted) or 403 (a scope is missing): catalogue errors E220-E222, rendered by the
   blueprint's own handler (problem+json; OperationOutcome under /fhir) with ``WWW-Authenticate``;
3. ``limits`` applies the per-key rate limit (429), reads and hashes the body (413 past
   ``service.max_body_bytes``) and applies the batch caps (413);
4. the view runs;
5. :func:`_audit` (an ``after_request`` hook, so it sees every response: 401, 403, 404, 405, 413,
   429 and 500 included) appends one record to the audit log. If that write fails, the result is
   withheld and the caller gets 503 E510: no request is answered without its audit record.

An unknown route is still a 404 (and a wrong method a 405): nothing is authenticated for them, and
they are audited with the endpoint ``(no route)``. An endpoint that no map names needs ``admin``
(fail closed), so a new blueprint is never open by accident.

Every request that reaches the app is audited, public endpoints included (a health probe leaves a
record too): "one record per request" is an invariant anyone can check, where a list of exceptions
would need trusting. Requests refused before Flask sees them (malformed HTTP, gunicorn's limits on
the request line and headers) leave none.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from flask import Flask, Response, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from ..config import Settings
from ..errors import Errors, ServiceError
from ..security import ADMIN, Principal
from ..security._sqlite import utc_iso
from ..security.audit import AuditLog, AuditRecord
from ..security.jwt import InvalidToken, JwtVerifier
from ..security.keys import PREFIX, KeyStore
from . import limits

log = logging.getLogger("nlp_service.auth")
EXTENSION = "nlp_service.auth"
NO_ROUTE = "(no route)"
REALM = 'Bearer realm="nlp-service"'

#: Paths anyone may call without credentials: a route rule equal to one, or under one ("/docs" covers
#: "/docs/" and "/docs/<path:path>"). Paths that do not exist (yet) cost nothing.
PUBLIC_RULES: frozenset[str] = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"})
#: Endpoints that need no credentials because they serve nothing: catch-alls that only answer 404/405
#: in their blueprint's format (so an unknown FHIR path is a 404 like any other unknown route).
PUBLIC_ENDPOINTS: frozenset[str] = frozenset({"fhir.fallback"})
#: The scope a blueprint's endpoints need.
BLUEPRINT_SCOPES: dict[str, str] = {
    "records": "records",
    "linking": "records",     # ICD-10-CM coding of mentions: part of record analysis
    "phi": "deidentify",      # /v1/deidentify and /v1/phi/detect
    "triage": "triage",
    "qa": "qa",
    "search": "search",
}
#: Per-endpoint overrides (``blueprint.view``), consulted first.
ENDPOINT_SCOPES: dict[str, str] = {
    "fhir.analyze": "records",
    "fhir.deidentify": "deidentify",
}


def required_scope(endpoint: str, rule: str) -> str | None:
    """The scope an endpoint needs; None for a public one. Unmapped endpoints need ``admin``.

    >>> required_scope("phi.deidentify", "/v1/deidentify"), required_scope("health.healthz", "/healthz")
    ('deidentify', None)
    >>> required_scope("fhir.analyze", "/fhir/r4/DocumentReference/$analyze")
    'records'
    >>> required_scope("docs.show", "/docs/<path:path>") is None
    True
    >>> required_scope("newthing.view", "/v1/newthing")
    'admin'
    """
    if endpoint in PUBLIC_ENDPOINTS or any(rule == p or rule.startswith(p + "/") for p in PUBLIC_RULES):
        return None
    if endpoint in ENDPOINT_SCOPES:
        return ENDPOINT_SCOPES[endpoint]
    return BLUEPRINT_SCOPES.get(endpoint.rpartition(".")[0], ADMIN)


def endpoint_scopes(app: Flask) -> dict[str, str]:
    """Every registered endpoint that needs credentials, with its scope (for the OpenAPI document)."""
    out = {rule.endpoint: required_scope(rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()}
    return {endpoint: scope for endpoint, scope in out.items() if scope is not None}


class AccessControl:
    """The key store, the JWT verifier (when configured) and the audit log of one app."""

    def __init__(self, settings: Settings) -> None:
        auth = settings.auth
        self.enabled = auth.enabled
        self.keys = KeyStore(auth.keys_db)
        self.audit = AuditLog(auth.audit_db, auth.audit_sync)
        self.jwt = (JwtVerifier(auth.jwt_issuer, auth.jwt_audience, auth.jwt_algorithms, auth.jwt_jwks_file,
                                auth.jwt_public_key_file, auth.jwt_leeway_s) if auth.jwt_enabled else None)

    def authenticate(self, token: str) -> Principal:
        """The principal of a token (an API key, or a JWT when configured).

        Raises:
            ServiceError: E221 saying why the token is not accepted (never echoing it).
        """
        if token.startswith(PREFIX + "_"):
            key = self.keys.authenticate(token)
            if key is None:
                raise Errors.INVALID_CREDENTIALS.error(reason="unknown or revoked API key")
            return key.principal()
        if self.jwt is not None and token.count(".") == 2:
            try:
                return self.jwt.verify(token)
            except InvalidToken as exc:
                raise Errors.INVALID_CREDENTIALS.error(reason=str(exc)) from None
        raise Errors.INVALID_CREDENTIALS.error(reason="not an API key of this service" +
                                               (" or a JWT" if self.jwt is not None else ""))


def _credentials() -> str | None:
    """The token from ``Authorization: Bearer`` or else ``X-API-Key``; None when neither is sent, ""
    when what is sent is unusable (another scheme, an empty token)."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() == "bearer":
            return token.strip()
    key = request.headers.get("X-API-Key")
    if key is not None:
        return key.strip()
    return None if header is None else ""


def _deny(error: ServiceError, challenge: str) -> ServiceError:
    """The error to raise (the blueprint's handler renders it: problem+json, or OperationOutcome
    under /fhir), with the ``WWW-Authenticate`` challenge that :func:`_audit` adds to the response."""
    g.challenge = challenge
    return error


def _authenticate() -> None:
    g.principal = None
    if request.url_rule is None:  # 404 or 405: routing answers, nothing to protect
        return
    scope = required_scope(request.endpoint or "", request.url_rule.rule)
    if scope is None:
        return
    control: AccessControl = current_app.extensions[EXTENSION]
    if not control.enabled:
        g.principal = Principal("", frozenset({ADMIN}), "anonymous")
        return
    token = _credentials()
    if token is None:
        raise _deny(Errors.UNAUTHORISED.error(), REALM)
    if not token:
        raise _deny(Errors.INVALID_CREDENTIALS.error(reason="send 'Authorization: Bearer <token>'"),
                    f'{REALM}, error="invalid_request"')
    try:
        who = control.authenticate(token)
    except ServiceError as exc:
        raise _deny(exc, f'{REALM}, error="invalid_token"') from None
    g.principal = who
    if not who.allows(scope):
        raise _deny(Errors.FORBIDDEN.error(endpoint=request.url_rule.rule, scope=scope),
                    f'{REALM}, error="insufficient_scope", scope="{scope}"')


def principal() -> Principal | None:
    """The principal of the current request (None when nobody authenticated)."""
    return g.get("principal")


def _audit(response: Response) -> Response:
    if g.get("challenge") and response.status_code in (401, 403):
        response.headers["WWW-Authenticate"] = g.challenge
    if g.get("audited"):  # an error while finishing can run the hooks twice; one record per request
        return response
    g.audited = True
    who = principal()
    started = g.get("started", time.perf_counter())
    record = AuditRecord(
        time=utc_iso(datetime.fromtimestamp(g.get("received", time.time()), UTC)),
        request_id=g.get("request_id", "-"),
        key_id=(who.id or None) if who is not None else None,
        method=request.method,
        endpoint=request.url_rule.rule if request.url_rule else NO_ROUTE,
        status=response.status_code,
        body_hmac=g.get("body_hmac"),
        request_bytes=g.get("body_bytes", request.content_length or 0),
        response_bytes=response.calculate_content_length(),
        latency_ms=round((time.perf_counter() - started) * 1000, 2),
        client=request.remote_addr,
    )
    try:
        current_app.extensions[EXTENSION].audit.append(record)
    except Exception as exc:  # fail closed: no result leaves without its audit record
        log.error("audit write failed", extra={"request_id": record.request_id},
                  exc_info=(type(exc), None, exc.__traceback__))
        return render_error(Errors.AUDIT_FAILED.error(request_id=record.request_id))
    return response


def render_error(error: ServiceError) -> Response:
    """``error`` as the current blueprint renders errors (problem+json, or OperationOutcome under /fhir),
    for code that cannot raise it (error and after-request handlers)."""
    return current_app.make_response(current_app.handle_user_exception(error))


def init_app(app: Flask, settings: Settings) -> None:
    """Register authentication, limits and the audit log. Call after ``request_log.init_app``."""
    access = app.extensions[EXTENSION] = AccessControl(settings)
    # /readyz asks the stores to answer (a read each; nothing is written)
    app.extensions.setdefault("nlp_service.ready_checks", {}).update(
        keys=lambda: access.keys.get("-") is None, audit=lambda: access.audit.last_seq() >= 0)
    if settings.auth.proxy_hops:
        hops = settings.auth.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)  # type: ignore[method-assign]
    app.before_request(_authenticate)
    limits.init_app(app, settings, key=lambda: (principal().id if principal() else "") or f"addr:{request.remote_addr}",
                    exempt=lambda: principal() is None)
    app.after_request(_audit)
