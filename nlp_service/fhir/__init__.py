"""FHIR R4 (R4B models of ``fhir.resources``) for record analysis and de-identification, without Flask.

``documents`` reads the input (a DocumentReference or a Bundle of them, text/plain attachments),
``mapping`` turns a RecordAnalysis into resources, ``dosage`` turns medication attributes into a
Dosage, ``outcome`` turns catalogue errors into OperationOutcome, and ``operations`` runs
``DocumentReference/$analyze`` and ``$deidentify``. ``nlp_service/api/fhir.py`` serves them.

Output of $analyze
------------------
A Bundle of type ``collection``: a set of resources assembled for one purpose, none stored on a
server. ``searchset`` would claim they are matches of a search against a store (with search modes, a
total and a self link), which they are not. Every entry has a ``urn:uuid:`` fullUrl; Provenance
targets refer to them.

Entity (category, assertion)                     -> resource and fields
-----------------------------------------------  ----------------------------------------------------
PROBLEM, patient                                  Condition
  positive, current                                 clinicalStatus active,   verificationStatus confirmed
  positive, historical                              clinicalStatus inactive, verificationStatus confirmed
  possible, current / historical                    clinicalStatus active / inactive, verification provisional
  any, hypothetical (not negated)                   no clinicalStatus, verificationStatus unconfirmed
  negated (any temporality)                         no clinicalStatus, verificationStatus refuted
PROBLEM, family                                   FamilyMemberHistory (status partial), the condition
                                                    in condition[0].code; relationship from the cue
                                                    ("Mother" -> v3-RoleCode MTH, else FAMMEMB);
                                                    possible/hypothetical: a condition note says so;
                                                    negated: no resource (R4 cannot say a relative
                                                    does not have a condition)
MEDICATION, patient                               MedicationStatement, medicationCodeableConcept,
                                                    dosage from the attributes (see ``dosage``);
                                                    status: negated not-taken, hypothetical intended,
                                                    possible unknown, historical completed, else active
TEST_OR_PROCEDURE type procedure/therapy          Procedure; status: negated not-done, hypothetical
                                                    preparation, possible unknown, else completed
TEST_OR_PROCEDURE, other types (lab, imaging,     Observation; category laboratory / imaging /
  vital_sign, diagnostic_test, none)                vital-signs / procedure; status: negated cancelled,
                                                    hypothetical registered, possible unknown, else final
subject "other"; ANATOMY; a relative's            no resource
  medication or test

Every resource also carries:

- ``code.text`` (or ``medicationCodeableConcept.text``): the entity as written; ``code.coding``: the
  best-ranked ICD-10-CM code (``http://hl7.org/fhir/sid/icd-10-cm``) when the entity is linked (for a
  relative, the best code outside the "family history of" categories Z80-Z84);
- the HL7 ``derivation-reference`` extension: the source DocumentReference, the element
  (``DocumentReference.content[i].attachment.data``), ``offset`` and ``length`` in characters
  (Unicode code points) of the decoded text, so ``text[offset:offset + length]`` is the entity;
- this service's ``nlp-assertion`` extension: certainty, temporality, subject and every cue (text,
  offset, length, axis, value, rule);
- ``subject`` (``patient`` for FamilyMemberHistory): the DocumentReference's subject as sent, else a
  Reference carrying only a data-absent-reason ``unknown`` (Observation, where it is optional, has
  none); ``encounter`` (MedicationStatement: ``context``): the DocumentReference's first
  ``context.encounter``.

Per document, a Provenance (after its resources) targets every resource made from it; its entity
(role ``source``) is the DocumentReference (the Bundle entry's fullUrl, else
``DocumentReference/<id>``, else its identifier), and its agent (type ``assembler``) is nlp-service,
a Device contained in the Provenance with the service version. A document with nothing to map gets
no Provenance (Provenance.target cannot be empty).

Bundles in
----------
A Bundle of type collection, batch or transaction is read entry by entry, and every entry is
processed on its own: a bad DocumentReference becomes an OperationOutcome entry (its issue
``expression`` names ``Bundle.entry[i]``) and the others are analysed. Transaction (all or nothing)
semantics guard writes; $analyze writes nothing, so there is nothing to roll back, and failing a
whole batch for one bad note would only make the client resend the good ones. A malformed Bundle
itself (not a Bundle, wrong type, no entries) is a 400.
"""

from ..validation import load_json
from .documents import SourceDocument, read_document, read_documents
from .mapping import map_analysis
from .operations import analyze, deidentify
from .outcome import operation_outcome

__all__ = ["SourceDocument", "load_json", "read_document", "read_documents", "map_analysis", "analyze",
           "deidentify", "operation_outcome"]
