"""Reading FHIR input: every malformed case is a precise catalogue error naming the element."""

import base64

import pytest

from nlp_service.errors import ServiceError
from nlp_service.fhir.documents import Failure, SourceDocument, read_document, read_documents
from nlp_service.validation import load_json

NOTE = "Patient denies chest pain.\r\nCafé au lait spots. 😀 Started metformin."


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode("utf-8") if isinstance(text, str) else text).decode("ascii")


def docref(data: str | None = None, content_type: str | None = "text/plain", **extra) -> dict:
    attachment = {k: v for k, v in (("contentType", content_type), ("data", data if data is not None else b64(NOTE)))
                  if v is not None}
    return {"resourceType": "DocumentReference", "status": "current", "content": [{"attachment": attachment}], **extra}


def error_of(data, where="DocumentReference") -> ServiceError:
    with pytest.raises(ServiceError) as info:
        read_document(data, where)
    return info.value


def test_reads_text_exactly_as_encoded():
    doc = read_document(docref(content_type="text/plain; charset=UTF-8", id="n1"), "DocumentReference")
    assert doc.text == NOTE  # CRLF, accents and astral characters survive
    assert doc.data_path == "DocumentReference.content[0].attachment.data"
    assert doc.reference().reference == "DocumentReference/n1"


def test_base64_may_wrap_lines_as_fhir_allows():
    wrapped = "\n".join(b64(NOTE)[i:i + 16] for i in range(0, len(b64(NOTE)), 16))
    assert read_document(docref(wrapped), "DocumentReference").text == NOTE


def test_first_text_plain_content_is_used():
    data = docref(id="n1")
    data["content"].insert(0, {"attachment": {"contentType": "application/pdf", "data": b64(b"%PDF-1.4")}})
    doc = read_document(data, "DocumentReference")
    assert doc.content_index == 1 and doc.text == NOTE
    assert doc.data_path == "DocumentReference.content[1].attachment.data"


@pytest.mark.parametrize(
    ("data", "code", "field", "needle"),
    [
        ("not a resource", "E130", None, "must be a FHIR resource"),
        ({"status": "current"}, "E130", "DocumentReference.resourceType", "no resourceType"),
        ({**docref(), "resourceType": "Patient"}, "E131", "DocumentReference", "is a Patient"),
        ({**docref(), "bogus": 1}, "E130", "DocumentReference.bogus", "bogus"),
        ({k: v for k, v in docref().items() if k != "status"}, "E130", "DocumentReference.status", "status"),
        ({**docref(), "content": []}, "E132", "DocumentReference.content", "has no content"),
        ({**docref(), "content": [{}]}, "E130", "DocumentReference.content[0].attachment", "attachment"),
        ({**docref(), "content": [{"attachment": {"contentType": "text/plain", "url": "https://x/n.txt"}}]},
         "E132", "DocumentReference.content[0].attachment.data", "does not fetch URLs"),
        (docref(content_type="application/pdf"), "E133", "DocumentReference.content.attachment.contentType",
         "'application/pdf'"),
        (docref(content_type=None), "E133", "DocumentReference.content.attachment.contentType", "none"),
        (docref(content_type="text/plain; charset=iso-8859-1"), "E133",
         "DocumentReference.content[0].attachment.contentType", "'iso-8859-1'"),
        # a lenient decoder drops the "!" and decodes the rest: this must not pass
        (docref("UGF0aWVudCBk!ZW5pZXMgY2hlc3QgcGFpbi4="), "E134", "DocumentReference.content[0].attachment.data",
         "only base64 data is allowed"),
        (docref("UGF0aWVudA"), "E134", "DocumentReference.content[0].attachment.data", "padding"),
        (docref(b64("Café".encode("latin-1"))), "E103", "DocumentReference.content[0].attachment.data",
         "not valid UTF-8"),
        (docref(""), "E110", "DocumentReference.content[0].attachment.data", "empty"),
        (docref(b64(" \n\t ")), "E110", "DocumentReference.content[0].attachment.data", "empty"),
    ],
    ids=["not-object", "no-resourceType", "patient", "unknown-element", "no-status", "no-content",
         "no-attachment", "url-only", "pdf", "no-contentType", "latin-1", "junk-base64", "bad-padding",
         "not-utf8", "empty-data", "blank-text"],
)
def test_malformed_document(data, code, field, needle):
    err = error_of(data)
    assert err.code == code and err.status == 400
    assert needle in err.detail
    fields = [e["field"] for e in err.errors]
    assert (field in fields) if field else True
    assert "Patient denies" not in str(err) + str(err.errors)  # never the note


def test_load_json_errors():
    assert load_json(b'{"a": 1}') == {"a": 1}
    for raw, code in [(b"{not json", "E100"), (b'{"a": 1, "a": 2}', "E100"), (b"\xff\xfe{}", "E103"),
                      (b"[" * 100_000, "E100")]:
        with pytest.raises(ServiceError) as info:
            load_json(raw)
        assert info.value.code == code


def test_bundle_entries_are_read_one_by_one():
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"fullUrl": "urn:uuid:11111111-1111-1111-1111-111111111111", "resource": docref()},
        {"resource": docref("%%%")},
        {"request": {"method": "POST", "url": "DocumentReference"}},
        {"resource": {"resourceType": "Patient"}},
    ]}
    is_bundle, items = read_documents(bundle)
    assert is_bundle
    assert isinstance(items[0], SourceDocument) and items[0].text == NOTE
    assert items[0].reference().reference == "urn:uuid:11111111-1111-1111-1111-111111111111"
    assert [type(i) for i in items[1:]] == [Failure, Failure, Failure]
    assert [(f.error.code, f.error.errors[0]["field"]) for f in items[1:]] == [
        ("E134", "Bundle.entry[1].resource.content[0].attachment.data"),
        ("E130", "Bundle.entry[2]"),
        ("E131", "Bundle.entry[3].resource"),
    ]


@pytest.mark.parametrize("bundle_type", ["collection", "batch", "transaction"])
def test_bundle_types_accepted(bundle_type):
    is_bundle, items = read_documents({"resourceType": "Bundle", "type": bundle_type, "entry": [{"resource": docref()}]})
    assert is_bundle and len(items) == 1


@pytest.mark.parametrize(
    ("bundle", "code", "needle"),
    [
        ({"resourceType": "Bundle", "type": "document", "entry": [{"resource": docref()}]}, "E131", "'document'"),
        ({"resourceType": "Bundle", "type": "batch"}, "E130", "no entries"),
        ({"resourceType": "Bundle", "type": "batch", "entry": []}, "E130", "no entries"),
        ({"resourceType": "Bundle", "type": "batch", "entry": ["x"]}, "E130", "list of objects"),
        ({"resourceType": "Bundle", "entry": [{"resource": docref()}]}, "E130", "Bundle.type"),
        ({"resourceType": "Patient"}, "E131", "'Patient'"),
    ],
    ids=["document", "no-entry", "empty-entry", "entry-not-object", "no-type", "patient"],
)
def test_malformed_bundle_is_rejected_whole(bundle, code, needle):
    with pytest.raises(ServiceError) as info:
        read_documents(bundle)
    assert info.value.code == code and needle in info.value.detail


def test_reference_falls_back_to_identifier_then_display():
    ident = {"system": "urn:oid:1.2.3", "value": "doc-9"}
    by_identifier = read_document(docref(masterIdentifier=ident), "DocumentReference").reference()
    assert by_identifier.identifier.value == "doc-9" and by_identifier.reference is None
    anonymous = read_document(docref(), "Bundle.entry[3].resource").reference()
    assert anonymous.reference is None and "Bundle.entry[3].resource" in anonymous.display
