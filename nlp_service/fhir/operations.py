"""The FHIR operations, without HTTP: ``DocumentReference/$analyze`` and ``$deidentify``.

Both take parsed JSON (``validation.load_json``) and the service objects, and return
``fhir.resources`` models; every failure is a catalogue :class:`~nlp_service.errors.ServiceError`.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from fhir.resources.R4B.attachment import Attachment
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.documentreference import DocumentReference, DocumentReferenceContent
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.meta import Meta

from ..errors import Errors, ServiceError
from ..schemas import DeidentifyResult, RecordAnalysis
from .documents import Failure, SourceDocument, read_document, read_documents
from .mapping import map_analysis, new_full_url
from .outcome import operation_outcome

OBSERVATION_VALUE = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"
#: de-identification operator -> the security label it puts on the result (meta.security)
SECURITY_LABELS = {
    "redact": ("REDACTED", "redacted"),
    "mask": ("MASKED", "masked"),
    "surrogate": ("PSEUDED", "pseudonymized"),
    "hash": ("PSEUDED", "pseudonymized"),
    "shift_dates": ("PSEUDED", "pseudonymized"),
}


class Analyzer(Protocol):
    def analyze(self, text: str) -> RecordAnalysis: ...


class Deidentifier(Protocol):
    def deidentify(self, text: str, operator: str | None = None, operators: dict[str, str] | None = None,
                   patient_key: str | None = None) -> DeidentifyResult: ...


def _located(error: ServiceError, expression: str) -> ServiceError:
    """``error`` naming ``expression`` as the element at fault, unless it already names fields."""
    if error.errors:
        return error
    return ServiceError(error.spec, error.detail, [{"field": expression, "message": error.spec.title}])


def analyze(
    data: Any,
    analyzer: Analyzer,
    *,
    recorded: datetime | None = None,
    full_url: Callable[[], str] = new_full_url,
) -> Bundle:
    """``DocumentReference/$analyze``: a Bundle (type ``collection``) with, per document, one resource
    per mapped entity and a Provenance; a Bundle entry that fails becomes an OperationOutcome entry.

    Raises:
        ServiceError: the body is not a DocumentReference or a readable Bundle of them; for a single
            DocumentReference, any problem with it or its text.
    """
    recorded = recorded or datetime.now(UTC)
    is_bundle, items = read_documents(data)
    entries: list[BundleEntry] = []
    for item in items:
        if isinstance(item, Failure):
            entries.append(BundleEntry(fullUrl=full_url(), resource=operation_outcome(item.error)))
            continue
        try:
            analysis = analyzer.analyze(item.text)
        except ServiceError as exc:  # too long, binary text...: this document only
            located = _located(exc, item.data_expression)
            if not is_bundle:
                raise located from None
            entries.append(BundleEntry(fullUrl=full_url(), resource=operation_outcome(located)))
            continue
        for url, resource in _map(analysis, item, recorded, full_url):
            entries.append(BundleEntry(fullUrl=url, resource=resource))
    return Bundle(
        identifier=Identifier(system="urn:ietf:rfc:3986", value=f"urn:uuid:{uuid.uuid4()}"),
        type="collection",
        timestamp=recorded,
        entry=entries or None,
    )


def _map(analysis: RecordAnalysis, item: SourceDocument, recorded: datetime, full_url: Callable[[], str]):
    return map_analysis(analysis, item.reference(), item.data_path, subject=item.subject(),
                        encounter=item.encounter(), recorded=recorded, full_url=full_url, text=item.text)


def _patient_key(source: SourceDocument) -> str | None:
    """The subject's reference, else its identifier as ``system|value``; None when there is neither."""
    subject = source.subject()
    if subject is None:
        return None
    if subject.reference:
        return subject.reference
    if subject.identifier is not None and subject.identifier.value:
        return f"{subject.identifier.system or ''}|{subject.identifier.value}"
    return None


def deidentify(
    data: Any,
    phi: Deidentifier,
    operator: str | None = None,
    operators: dict[str, str] | None = None,
) -> DocumentReference:
    """``$deidentify``: the DocumentReference with its text de-identified.

    The result keeps only what describes the document without identifying anyone: ``status``,
    ``docStatus``, ``type``, ``category``, ``securityLabel`` and one ``content`` whose attachment holds
    the de-identified text (UTF-8, base64) with its ``language`` and ``format``. Everything else (id,
    identifiers, subject, author, dates, description, context, narrative, extensions, other
    attachments) is dropped, since any of it may identify the patient. ``meta.security`` records how
    the text was altered (v3-ObservationValue: MASKED, REDACTED, PSEUDED). The subject's reference,
    when present, is the patient key: surrogates and date shifts stay consistent across one patient's
    documents, and nobody without the server secret can recompute them (the subject's identifier,
    as ``system|value``, serves when there is no reference).

    Raises:
        ServiceError: as for $analyze with one DocumentReference, plus E108/E109 (unknown operator
            or PHI type).
    """
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        raise Errors.FHIR_NOT_SUPPORTED.error(
            summary="$deidentify takes one DocumentReference, not a Bundle.",
            errors=[{"field": "Bundle", "message": "not supported"}])
    source = read_document(data, "DocumentReference")
    patient_key = _patient_key(source)
    try:
        result = phi.deidentify(source.text, operator, operators, patient_key)
    except ServiceError as exc:
        if exc.code in ("E108", "E109"):  # an option, not the document, is at fault
            raise
        raise _located(exc, source.data_expression) from None
    original = source.resource.content[source.content_index]
    attachment = Attachment(contentType="text/plain; charset=utf-8", language=original.attachment.language,
                            data=base64.b64encode(result.text.encode("utf-8")).decode("ascii"))
    labels = dict.fromkeys(SECURITY_LABELS[f.operator] for f in result.findings if f.operator in SECURITY_LABELS)
    resource = source.resource
    return DocumentReference(
        meta=Meta(security=[Coding(system=OBSERVATION_VALUE, code=code, display=display)
                            for code, display in labels] or None),
        status=resource.status,
        docStatus=resource.docStatus,
        type=resource.type,
        category=resource.category,
        securityLabel=resource.securityLabel,
        content=[DocumentReferenceContent(attachment=attachment, format=original.format)],
    )
