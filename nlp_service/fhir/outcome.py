"""Catalogue errors as FHIR R4 OperationOutcome.

Each issue carries the catalogue code in ``details.coding`` (system ``urn:nlp-service:error``, the
same code a problem+json body carries under ``/v1``), the message in ``diagnostics`` and, where the
error names elements, their expressions in ``expression``. ``issue.code`` comes from the error code.
"""

from __future__ import annotations

from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.operationoutcome import OperationOutcome, OperationOutcomeIssue

from ..errors import ServiceError

ERROR_SYSTEM = "urn:nlp-service:error"

#: catalogue code -> OperationOutcome issue type (IssueType value set)
ISSUE_TYPES = {
    "E100": "structure", "E101": "invalid", "E102": "not-supported", "E103": "value", "E104": "too-long",
    "E105": "too-long", "E106": "value", "E107": "too-costly", "E108": "code-invalid", "E109": "code-invalid",
    "E110": "required", "E200": "not-found", "E201": "not-supported",
    "E130": "structure", "E131": "not-supported", "E132": "required", "E133": "not-supported", "E134": "value",
    "E135": "not-supported", "E136": "invalid",
    "E120": "too-costly", "E220": "login", "E221": "login", "E222": "forbidden", "E223": "throttled",
    "E501": "transient", "E510": "transient",
}


def issue_type(error: ServiceError) -> str:
    """The IssueType for a catalogue error: from the table, else ``invalid`` (4xx) or ``exception``.

    >>> from nlp_service.errors import Errors
    >>> issue_type(Errors.FHIR_BASE64.error(where="x", reason="bad")), issue_type(Errors.INTERNAL.error(request_id="r"))
    ('value', 'exception')
    """
    return ISSUE_TYPES.get(error.code, "invalid" if error.status < 500 else "exception")


def operation_outcome(error: ServiceError, expression: str | None = None) -> OperationOutcome:
    """An OperationOutcome for ``error``.

    One issue with the message (and ``expression``, or the fields the error names); when the error
    lists several fields (validation), one more issue per field with its own message.
    """
    severity = "error" if error.status < 500 else "fatal"
    code = issue_type(error)
    details = CodeableConcept(coding=[Coding(system=ERROR_SYSTEM, code=error.code, display=error.spec.title)],
                              text=error.spec.title)
    fields = [e for e in error.errors if isinstance(e.get("field"), str)]
    if expression is None and len(fields) == 1 and _is_path(fields[0]["field"]):
        expression = fields[0]["field"]
    issues = [OperationOutcomeIssue(severity=severity, code=code, details=details, diagnostics=error.detail,
                                    expression=[expression] if expression else None)]
    if len(fields) > 1:
        for field in fields:
            path = field["field"]
            message = str(field.get("message", ""))
            issues.append(OperationOutcomeIssue(
                severity=severity, code=code, details=details,
                diagnostics=message if _is_path(path) else f"{path}: {message}",
                expression=[path] if _is_path(path) else None))
    return OperationOutcome(issue=issues)


def _is_path(field: str) -> bool:
    """A FHIRPath into the resource (``DocumentReference.content[0]``), not a parameter name or ``(body)``."""
    return field[:1].isupper()
