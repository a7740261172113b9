"""RecordAnalysis -> FHIR R4 resources: one resource per clinical entity, and a Provenance.

Knows nothing of HTTP. Every resource is built with the ``fhir.resources.R4B`` models, so a resource
that would not validate fails here, not at the client. The mapping tables below are the contract;
:mod:`nlp_service.fhir` summarises them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.device import Device, DeviceDeviceName, DeviceVersion
from fhir.resources.R4B.domainresource import DomainResource
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.familymemberhistory import FamilyMemberHistory, FamilyMemberHistoryCondition
from fhir.resources.R4B.medicationstatement import MedicationStatement
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.procedure import Procedure
from fhir.resources.R4B.provenance import Provenance, ProvenanceAgent, ProvenanceEntity
from fhir.resources.R4B.reference import Reference

from ..schemas import (
    Assertion,
    Category,
    Certainty,
    Code,
    Cue,
    Entity,
    RecordAnalysis,
    Subject,
    Temporality,
)
from ..version import __version__
from .dosage import dosage

# -- systems and extension URLs ------------------------------------------------------------------
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
#: HL7 core extension (extensions pack): where in a source text a resource was extracted from.
DERIVATION_REFERENCE = "http://hl7.org/fhir/StructureDefinition/derivation-reference"
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
#: Base of this service's own definitions. FHIR wants extension URLs to be URLs (not URNs); the
#: ``.invalid`` domain (RFC 2606) can never resolve or belong to anyone else. Change it here once
#: the service has a canonical home.
CANONICAL_BASE = "https://nlp-service.invalid/fhir"
ASSERTION_EXTENSION = f"{CANONICAL_BASE}/StructureDefinition/nlp-assertion"
DEVICE_ID = "nlp-service"

# -- mapping tables ------------------------------------------------------------------------------
#: TEST_OR_PROCEDURE types that become a Procedure; every other type becomes an Observation.
PROCEDURE_TYPES = frozenset({"procedure", "therapy"})
#: Observation.category by entity type (observation-category code, display).
OBSERVATION_CATEGORIES = {
    "lab": ("laboratory", "Laboratory"),
    "imaging": ("imaging", "Imaging"),
    "vital_sign": ("vital-signs", "Vital Signs"),
    "diagnostic_test": ("procedure", "Procedure"),
}
_CLINICAL_DISPLAY = {"active": "Active", "inactive": "Inactive"}
_VERIFICATION_DISPLAY = {"confirmed": "Confirmed", "provisional": "Provisional", "unconfirmed": "Unconfirmed",
                         "refuted": "Refuted"}
#: ICD-10-CM categories of "family history of" codes: not the relative's condition itself.
FAMILY_HISTORY_CATEGORIES = ("Z80", "Z81", "Z82", "Z83", "Z84")
#: Subject cue words -> v3-RoleCode (most specific first; whole words of the cue text).
RELATIONSHIPS: tuple[tuple[str, str, str], ...] = (
    ("stepmother", "STPMTH", "stepmother"), ("stepfather", "STPFTH", "stepfather"),
    ("half-sister", "HSIS", "half-sister"), ("half-brother", "HBRO", "half-brother"),
    ("mgm", "MGRMTH", "maternal grandmother"), ("pgm", "PGRMTH", "paternal grandmother"),
    ("mgf", "MGRFTH", "maternal grandfather"), ("pgf", "PGRFTH", "paternal grandfather"),
    ("grandmother|grandma", "GRMTH", "grandmother"), ("grandfather|grandpa", "GRFTH", "grandfather"),
    ("grandparents?", "GRPRN", "grandparent"),
    ("mother|mom", "MTH", "mother"), ("father|dad", "FTH", "father"), ("parents?", "PRN", "parent"),
    ("sister", "SIS", "sister"), ("brother", "BRO", "brother"), ("siblings?", "SIB", "sibling"),
    ("daughter", "DAUC", "daughter"), ("son", "SONC", "son"),
    ("aunt", "AUNT", "aunt"), ("uncle", "UNCLE", "uncle"), ("cousin", "COUSN", "cousin"),
    ("niece", "NIECE", "niece"), ("nephew", "NEPHEW", "nephew"),
)
_RELATIONSHIP_PATTERNS = [(re.compile(rf"\b(?:{words})\b", re.I), code, display) for words, code, display in RELATIONSHIPS]
_FAMILY_MEMBER = ("FAMMEMB", "family member")


def condition_status(assertion: Assertion) -> tuple[str | None, str]:
    """``(clinicalStatus, verificationStatus)`` codes for a problem the patient has (or has not).

    >>> condition_status(Assertion(certainty="negated"))
    (None, 'refuted')
    >>> condition_status(Assertion(certainty="possible", temporality="historical"))
    ('inactive', 'provisional')
    >>> condition_status(Assertion(temporality="hypothetical"))
    (None, 'unconfirmed')
    """
    if assertion.certainty is Certainty.NEGATED:
        return None, "refuted"
    if assertion.temporality is Temporality.HYPOTHETICAL:
        return None, "unconfirmed"
    verification = "provisional" if assertion.certainty is Certainty.POSSIBLE else "confirmed"
    clinical = "inactive" if assertion.temporality is Temporality.HISTORICAL else "active"
    return clinical, verification


def medication_status(assertion: Assertion) -> str:
    """MedicationStatement.status: negated -> not-taken, hypothetical -> intended, possible -> unknown,
    historical -> completed, else active."""
    if assertion.certainty is Certainty.NEGATED:
        return "not-taken"
    if assertion.temporality is Temporality.HYPOTHETICAL:
        return "intended"
    if assertion.certainty is Certainty.POSSIBLE:
        return "unknown"
    return "completed" if assertion.temporality is Temporality.HISTORICAL else "active"


def observation_status(assertion: Assertion) -> str:
    """Observation.status: negated -> cancelled, hypothetical -> registered, possible -> unknown, else final."""
    if assertion.certainty is Certainty.NEGATED:
        return "cancelled"
    if assertion.temporality is Temporality.HYPOTHETICAL:
        return "registered"
    return "unknown" if assertion.certainty is Certainty.POSSIBLE else "final"


def procedure_status(assertion: Assertion) -> str:
    """Procedure.status: negated -> not-done, hypothetical -> preparation, possible -> unknown, else completed."""
    if assertion.certainty is Certainty.NEGATED:
        return "not-done"
    if assertion.temporality is Temporality.HYPOTHETICAL:
        return "preparation"
    return "unknown" if assertion.certainty is Certainty.POSSIBLE else "completed"


def relationship(cues: Sequence[Cue]) -> CodeableConcept:
    """The relative named by the subject cue ("Mother" -> MTH), else "family member" (FAMMEMB).

    >>> relationship([Cue(text="Mother", begin=0, end=6, axis="subject", value="family", rule="r")]).coding[0].code
    'MTH'
    >>> relationship([]).coding[0].code
    'FAMMEMB'
    """
    words = [c.text for c in cues if c.axis == "subject"]
    for text in words:
        for pattern, code, display in _RELATIONSHIP_PATTERNS:
            if pattern.search(text):
                return CodeableConcept(coding=[Coding(system=ROLE_CODE, code=code, display=display)], text=text)
    code, display = _FAMILY_MEMBER
    return CodeableConcept(coding=[Coding(system=ROLE_CODE, code=code, display=display)], text=words[0] if words else None)


def _icd_version(code: Code) -> str | None:
    match = re.search(r"ICD-10-CM (\d{4})", code.version or "")
    return match.group(1) if match else None


def concept(entity: Entity, family: bool = False) -> CodeableConcept:
    """``text`` = the entity as written; ``coding`` = its best-ranked ICD-10-CM code, if linked.

    Only the best code: the others are ranked alternatives, and several codings in one
    CodeableConcept would claim they all mean the same thing. For a relative's condition the
    "family history of" codes (Z80-Z84) are skipped: FamilyMemberHistory.condition is the condition.
    """
    codes = [c for c in entity.codes if c.system == "ICD-10-CM"]
    if family:
        codes = [c for c in codes if not c.code.startswith(FAMILY_HISTORY_CATEGORIES)]
    coding = None
    if codes:
        best = codes[0]
        coding = [Coding(system=ICD10CM, code=best.code, display=best.display, version=_icd_version(best))]
    return CodeableConcept(coding=coding, text=entity.text)


def _status_concept(system: str, code: str | None, displays: dict[str, str]) -> CodeableConcept | None:
    if code is None:
        return None
    return CodeableConcept(coding=[Coding(system=system, code=code, display=displays[code])])


@dataclass(frozen=True)
class Context:
    """What every resource of one document shares."""

    source: Reference  # the DocumentReference
    subject: Reference  # its subject, or a data-absent-reason
    encounter: Reference | None
    data_path: str  # the element whose decoded text the offsets count into
    text: str | None = None  # that text (for the medication sig as written)


def unknown_subject() -> Reference:
    """A Reference that says the subject is unknown (Condition.subject and others are required)."""
    return Reference(extension=[Extension(url=DATA_ABSENT_REASON, valueCode="unknown")])


def derivation(entity: Entity, ctx: Context) -> Extension:
    """The HL7 derivation-reference extension: the source document, the element and the span
    (offset and length in characters, i.e. Unicode code points, of the decoded text)."""
    return Extension(url=DERIVATION_REFERENCE, extension=[
        Extension(url="reference", valueReference=ctx.source),
        Extension(url="path", valueString=ctx.data_path),
        Extension(url="offset", valueInteger=entity.begin),
        Extension(url="length", valueInteger=entity.end - entity.begin),
    ])


def assertion_extension(entity: Entity) -> Extension:
    """This service's assertion extension: certainty, temporality, subject, and every cue (its text,
    offset, length, axis, value and the rule that fired)."""
    parts = [
        Extension(url="certainty", valueCode=entity.assertion.certainty.value),
        Extension(url="temporality", valueCode=entity.assertion.temporality.value),
        Extension(url="subject", valueCode=entity.assertion.subject.value),
    ]
    for cue in entity.cues:
        parts.append(Extension(url="cue", extension=[
            Extension(url="text", valueString=cue.text),
            Extension(url="offset", valueInteger=cue.begin),
            Extension(url="length", valueInteger=cue.end - cue.begin),
            Extension(url="axis", valueCode=cue.axis),
            Extension(url="value", valueCode=cue.value),
            Extension(url="rule", valueString=cue.rule),
        ]))
    return Extension(url=ASSERTION_EXTENSION, extension=parts)


def _extensions(entity: Entity, ctx: Context) -> list[Extension]:
    return [derivation(entity, ctx), assertion_extension(entity)]


def condition(entity: Entity, ctx: Context) -> Condition:
    clinical, verification = condition_status(entity.assertion)
    return Condition(
        extension=_extensions(entity, ctx),
        clinicalStatus=_status_concept(CONDITION_CLINICAL, clinical, _CLINICAL_DISPLAY),
        verificationStatus=_status_concept(CONDITION_VERIFICATION, verification, _VERIFICATION_DISPLAY),
        code=concept(entity),
        subject=ctx.subject,
        encounter=ctx.encounter,
    )


def family_member_history(entity: Entity, ctx: Context) -> FamilyMemberHistory | None:
    """A relative's problem; None when negated (R4 has no way to say a relative does not have a
    condition, and leaving the negation out would say the opposite)."""
    if entity.assertion.certainty is Certainty.NEGATED:
        return None
    note = None
    if entity.assertion.certainty is Certainty.POSSIBLE or entity.assertion.temporality is Temporality.HYPOTHETICAL:
        note = [Annotation(text=f"Not asserted in the source text ({entity.assertion.certainty.value}, "
                                f"{entity.assertion.temporality.value}).")]
    return FamilyMemberHistory(
        extension=_extensions(entity, ctx),
        status="partial",
        patient=ctx.subject,
        relationship=relationship(entity.cues),
        condition=[FamilyMemberHistoryCondition(code=concept(entity, family=True), note=note)],
    )


def medication_statement(entity: Entity, ctx: Context) -> MedicationStatement:
    dose = dosage(entity.attributes, ctx.text)
    return MedicationStatement(
        extension=_extensions(entity, ctx),
        status=medication_status(entity.assertion),
        medicationCodeableConcept=concept(entity),
        subject=ctx.subject,
        context=ctx.encounter,
        dosage=[dose] if dose is not None else None,
    )


def observation(entity: Entity, ctx: Context) -> Observation:
    category = OBSERVATION_CATEGORIES.get(entity.type or "")
    return Observation(
        extension=_extensions(entity, ctx),
        status=observation_status(entity.assertion),
        category=[CodeableConcept(coding=[Coding(system=OBSERVATION_CATEGORY, code=category[0], display=category[1])])]
        if category else None,
        code=concept(entity),
        subject=None if _is_unknown(ctx.subject) else ctx.subject,
        encounter=ctx.encounter,
    )


def procedure(entity: Entity, ctx: Context) -> Procedure:
    return Procedure(
        extension=_extensions(entity, ctx),
        status=procedure_status(entity.assertion),
        code=concept(entity),
        subject=ctx.subject,
        encounter=ctx.encounter,
    )


def _is_unknown(reference: Reference) -> bool:
    return reference.reference is None and reference.identifier is None and reference.display is None


def entity_resource(entity: Entity, ctx: Context) -> DomainResource | None:
    """The resource for one entity, or None for what is not mapped: anatomy, anything about someone
    other than the patient or a relative, a relative's medication or test, a relative's negated problem."""
    subject = entity.assertion.subject
    if subject is Subject.OTHER or entity.category is Category.ANATOMY:
        return None
    if entity.category is Category.PROBLEM:
        return family_member_history(entity, ctx) if subject is Subject.FAMILY else condition(entity, ctx)
    if subject is Subject.FAMILY:
        return None
    if entity.category is Category.MEDICATION:
        return medication_statement(entity, ctx)
    if (entity.type or "").lower() in PROCEDURE_TYPES:
        return procedure(entity, ctx)
    return observation(entity, ctx)


def nlp_device() -> Device:
    """nlp-service itself, contained in each Provenance as its agent."""
    return Device(
        id=DEVICE_ID,
        deviceName=[DeviceDeviceName(name="nlp-service", type="model-name")],
        version=[DeviceVersion(value=__version__)],
        type=CodeableConcept(text="clinical natural language processing software"),
    )


def provenance(targets: Sequence[str], source: Reference, recorded: datetime) -> Provenance:
    """Provenance of everything derived from one document: every target, the source document
    (role ``source``), and nlp-service with its version as the agent (``assembler``: a device that
    extracts existing information to make a new artifact)."""
    return Provenance(
        contained=[nlp_device()],
        target=[Reference(reference=url) for url in targets],
        recorded=recorded,
        activity=CodeableConcept(coding=[Coding(system=DATA_OPERATION, code="CREATE", display="create")],
                                 text="clinical NLP extraction"),
        agent=[ProvenanceAgent(
            type=CodeableConcept(coding=[Coding(system=PARTICIPANT_TYPE, code="assembler", display="Assembler")]),
            who=Reference(reference=f"#{DEVICE_ID}", display=f"nlp-service {__version__}"),
        )],
        entity=[ProvenanceEntity(role="source", what=source)],
    )


def new_full_url() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def map_analysis(
    analysis: RecordAnalysis,
    source: Reference,
    data_path: str,
    subject: Reference | None = None,
    encounter: Reference | None = None,
    recorded: datetime | None = None,
    full_url: Callable[[], str] = new_full_url,
    text: str | None = None,
) -> list[tuple[str, DomainResource]]:
    """``(fullUrl, resource)`` for each mapped entity in text order, then the Provenance (when at
    least one resource was made: Provenance.target cannot be empty).

    Args:
        analysis: the RecordAnalysis of the document's text.
        source: a Reference to the DocumentReference.
        data_path: the element holding the text (``DocumentReference.content[0].attachment.data``).
        subject: the DocumentReference's subject; when None, resources carry a data-absent-reason.
        full_url: makes each entry's fullUrl (``urn:uuid:`` by default).
        text: the analysed text (medication sigs are quoted from it); used only in the response.
    """
    ctx = Context(source=source, subject=subject or unknown_subject(), encounter=encounter, data_path=data_path,
                  text=text)
    out: list[tuple[str, DomainResource]] = []
    for entity in analysis.entities:
        resource = entity_resource(entity, ctx)
        if resource is not None:
            out.append((full_url(), resource))
    if out:
        out.append((full_url(), provenance([url for url, _ in out], source, recorded or datetime.now(UTC))))
    return out
