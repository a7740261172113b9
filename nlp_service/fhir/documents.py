"""Reading FHIR input: the request body, a DocumentReference or a Bundle of them, and the note text.

Every failure is a catalogue :class:`~nlp_service.errors.ServiceError` whose field errors name the
element at fault as a FHIRPath-like expression (``Bundle.entry[1].resource.content[0].attachment``),
so the HTTP layer can turn it into an OperationOutcome with ``issue.expression``. Messages name the
problem and never quote the note.

The text is the first ``content[]`` whose attachment is ``text/plain`` (a ``charset`` parameter is
allowed; it must be UTF-8 or US-ASCII) with inline base64 ``data``. Several ``content`` entries of one
DocumentReference are the same document in different formats, so one is enough. URLs are never
fetched.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass
from typing import Any

from fhir.resources.R4B.documentreference import DocumentReference
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.reference import Reference
from pydantic import ValidationError

from ..errors import Errors, ServiceError

TEXT_PLAIN = "text/plain"
_UTF8_CHARSETS = {"utf-8", "utf8", "us-ascii", "ascii"}
_BUNDLE_TYPES = ("collection", "batch", "transaction")
_WHITESPACE = re.compile(r"\s+")
_MAX_FIELD_ERRORS = 20


@dataclass(frozen=True)
class SourceDocument:
    """One DocumentReference that passed every check, with its decoded note text.

    ``where`` is the expression of the resource in the request (``DocumentReference`` or
    ``Bundle.entry[2].resource``); ``full_url`` is its Bundle entry's fullUrl, if any.
    """

    resource: DocumentReference
    text: str
    content_index: int
    where: str
    full_url: str | None = None

    @property
    def data_path(self) -> str:
        """The element holding the text, relative to the DocumentReference (offsets count into it)."""
        return f"DocumentReference.content[{self.content_index}].attachment.data"

    @property
    def data_expression(self) -> str:
        """The element holding the text, as an expression into the request."""
        return f"{self.where}.content[{self.content_index}].attachment.data"

    def reference(self) -> Reference:
        """A Reference back to this DocumentReference: its fullUrl, else ``DocumentReference/<id>``,
        else its (master) identifier, else a display naming where it was in the request."""
        if self.full_url:
            return Reference(reference=self.full_url, type="DocumentReference")
        if self.resource.id:
            return Reference(reference=f"DocumentReference/{self.resource.id}", type="DocumentReference")
        identifier: Identifier | None = self.resource.masterIdentifier or next(iter(self.resource.identifier or []), None)
        if identifier is not None:
            return Reference(identifier=identifier, type="DocumentReference")
        where = "sent in the request" if self.where == "DocumentReference" else f"at {self.where} of the request"
        return Reference(type="DocumentReference", display=f"the DocumentReference {where}")

    def subject(self) -> Reference | None:
        """The DocumentReference's subject, as sent."""
        return self.resource.subject

    def encounter(self) -> Reference | None:
        """The first encounter of the DocumentReference's context, if any."""
        context = self.resource.context
        return next(iter(context.encounter or []), None) if context is not None else None


@dataclass(frozen=True)
class Failure:
    """A Bundle entry that could not be read; the others are processed anyway."""

    error: ServiceError
    where: str


def read_documents(data: Any) -> tuple[bool, list[SourceDocument | Failure]]:
    """Read a DocumentReference or a Bundle of them.

    Returns:
        ``(is_bundle, items)``. A single DocumentReference that fails raises; in a Bundle each entry
        that fails becomes a :class:`Failure` and the others are still read.

    Raises:
        ServiceError: the body is not a resource, not a DocumentReference or Bundle, or the Bundle
            itself is malformed, of another type, or empty.
    """
    resource_type = _resource_type(data, "The request body", "(body)")
    if resource_type == "DocumentReference":
        return False, [read_document(data, "DocumentReference")]
    if resource_type != "Bundle":
        raise _not_supported(
            f"Expected a DocumentReference or a Bundle of them, got resourceType {resource_type!r}.", "(body)")
    entries = _bundle_entries(data)
    items: list[SourceDocument | Failure] = []
    for i, entry in enumerate(entries):
        where = f"Bundle.entry[{i}].resource"
        try:
            if "resource" not in entry:
                raise _invalid(f"Bundle.entry[{i}] has no resource.", f"Bundle.entry[{i}]", "missing")
            items.append(read_document(entry["resource"], where, entry.get("fullUrl")))
        except ServiceError as exc:
            items.append(Failure(exc, where))
    return True, items


def _bundle_entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Validate the Bundle without its entries' resources (each is read on its own) and return the entries."""
    from fhir.resources.R4B.bundle import Bundle

    entries = data.get("entry")
    if entries is not None and not (isinstance(entries, list) and all(isinstance(e, dict) for e in entries)):
        raise _invalid("Bundle.entry must be a list of objects.", "Bundle.entry", "must be a list of objects")
    envelope = dict(data)
    if entries is not None:
        envelope["entry"] = [{k: v for k, v in e.items() if k != "resource"} for e in entries]
    try:
        bundle = Bundle.model_validate(envelope)
    except ValidationError as exc:
        raise _validation_error(exc, "Bundle") from None
    if bundle.type not in _BUNDLE_TYPES:
        raise _not_supported(
            f"Bundle.type {bundle.type!r} is not supported; send a Bundle of type {', '.join(_BUNDLE_TYPES)}.",
            "Bundle.type")
    if not entries:
        raise _invalid("The Bundle has no entries: there is nothing to analyse.", "Bundle.entry", "missing")
    return entries


def read_document(data: Any, where: str, full_url: str | None = None) -> SourceDocument:
    """Validate one DocumentReference (with fhir.resources) and decode its text attachment.

    Raises:
        ServiceError: E130 (not valid FHIR), E131 (another resource type), E132 (no content, no
            data), E133 (no text/plain content, another charset), E134 (bad base64), E103 (not
            UTF-8), E110 (empty text).
    """
    resource_type = _resource_type(data, where)
    if resource_type != "DocumentReference":
        raise _not_supported(f"{where} is a {resource_type}; only DocumentReference can be processed here.", where)
    try:
        resource = DocumentReference.model_validate(data)
    except ValidationError as exc:
        if all(err["type"] == "base64_decode" for err in exc.errors()):
            field = _expression(where, exc.errors()[0]["loc"])
            raise Errors.FHIR_BASE64.error(where=field, reason=exc.errors()[0]["msg"],
                                          errors=[{"field": field, "message": "not valid base64"}]) from None
        raise _validation_error(exc, where) from None
    index = _text_content(resource, where)
    field = f"{where}.content[{index}].attachment.data"
    raw = _strict_base64(data["content"][index]["attachment"]["data"], field)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Errors.NOT_UTF8.error(what=field, reason=f"invalid byte at position {exc.start}",
                                    errors=[{"field": field, "message": "not valid UTF-8"}]) from None
    if not text.strip():
        raise Errors.EMPTY_TEXT.error(what=field, errors=[{"field": field, "message": "empty"}])
    return SourceDocument(resource=resource, text=text, content_index=index, where=where, full_url=full_url)


def _text_content(resource: DocumentReference, where: str) -> int:
    """The index of the first text/plain content with inline data."""
    if not resource.content:
        raise Errors.FHIR_NO_TEXT.error(
            summary=f"{where} has no content: send the note as a text/plain attachment with base64 data.",
            errors=[{"field": f"{where}.content", "message": "missing"}])
    seen = []
    for i, content in enumerate(resource.content):
        attachment = content.attachment
        media, charset = _media_type(attachment.contentType)
        if media != TEXT_PLAIN:
            seen.append(attachment.contentType)
            continue
        field = f"{where}.content[{i}].attachment"
        if charset is not None and charset not in _UTF8_CHARSETS:
            raise Errors.FHIR_CONTENT_TYPE.error(
                summary=f"{field} has charset {charset!r}; only UTF-8 (or US-ASCII) text can be processed.",
                errors=[{"field": f"{field}.contentType", "message": "unsupported charset"}])
        if attachment.data is None:
            reason = ("has a url but no inline data; this service does not fetch URLs"
                      if attachment.url else "has no data")
            raise Errors.FHIR_NO_TEXT.error(
                summary=f"{field} {reason}: send the note base64-encoded in attachment.data.",
                errors=[{"field": f"{field}.data", "message": "missing"}])
        return i
    found = ", ".join(repr(t) if t else "none" for t in seen)
    raise Errors.FHIR_CONTENT_TYPE.error(
        summary=f"{where} has no text/plain attachment (contentType: {found}); only text/plain can be processed.",
        errors=[{"field": f"{where}.content.attachment.contentType", "message": "not text/plain"}])


def _media_type(content_type: str | None) -> tuple[str | None, str | None]:
    """``("text/plain", "utf-8")`` from ``"text/plain; charset=UTF-8"``; the charset is None when absent.

    >>> _media_type("Text/Plain; charset=\\"UTF-8\\"")
    ('text/plain', 'utf-8')
    >>> _media_type("application/pdf")
    ('application/pdf', None)
    """
    if not content_type:
        return None, None
    media, *params = content_type.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


def _strict_base64(value: Any, field: str) -> bytes:
    """Decode base64 as FHIR's base64Binary allows it (white space between groups), rejecting any
    other character, which a lenient decoder would silently drop."""
    if not isinstance(value, str):
        raise Errors.FHIR_BASE64.error(where=field, reason="it is not a string",
                                       errors=[{"field": field, "message": "not a string"}])
    try:
        return binascii.a2b_base64(_WHITESPACE.sub("", value).encode("ascii"), strict_mode=True)
    except UnicodeEncodeError:
        reason = "it contains a non-ASCII character"
    except binascii.Error as exc:
        reason = str(exc).rstrip(".").lower()
    raise Errors.FHIR_BASE64.error(where=field, reason=reason, errors=[{"field": field, "message": "not valid base64"}])


def _resource_type(data: Any, where: str, field: str | None = None) -> str:
    """The resourceType of ``data`` (``where`` names it in messages; ``field`` in field errors)."""
    field = field or where
    if not isinstance(data, dict):
        raise _invalid(f"{where} must be a FHIR resource (a JSON object), not {type(data).__name__}.", field,
                       "must be an object")
    resource_type = data.get("resourceType")
    if not isinstance(resource_type, str) or not resource_type:
        raise _invalid(f"{where} has no resourceType.", f"{field}.resourceType" if field[:1].isupper() else field,
                       "missing resourceType")
    return resource_type


def _expression(where: str, loc: tuple[Any, ...]) -> str:
    """``Bundle.entry[0].resource.content[0].attachment`` from pydantic's ``("content", 0, "attachment")``."""
    out = where
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += "." + ("resourceType" if part == "resource_type" else str(part))
    return out


def _validation_error(exc: ValidationError, where: str) -> ServiceError:
    """E130 with one field error per fhir.resources problem (message only: never the input value)."""
    errors = []
    for err in exc.errors()[:_MAX_FIELD_ERRORS]:
        message = "unknown element" if err["type"] == "extra_forbidden" else err["msg"]
        errors.append({"field": _expression(where, err["loc"]), "message": message})
    fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
    return Errors.FHIR_INVALID.error(summary=f"{where} is not a valid FHIR R4 resource: check {fields}.",
                                     errors=errors)


def _invalid(summary: str, field: str, message: str) -> ServiceError:
    return Errors.FHIR_INVALID.error(summary=summary, errors=[{"field": field, "message": message}])


def _not_supported(summary: str, field: str) -> ServiceError:
    return Errors.FHIR_NOT_SUPPORTED.error(summary=summary, errors=[{"field": field, "message": "not supported"}])
