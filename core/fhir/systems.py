"""The code systems, identifier systems and profiles txplan's FHIR uses, in one place.

Sources: HL7 FHIR R4 4.0.1 (hl7.org/fhir/R4), US Core 6.1.0 (hl7.org/fhir/us/core/STU6.1),
LOINC (loinc.org). Codes of txplan's own (scores without a LOINC code, the primary-diagnosis
mark) live under a private URN, so they can never be mistaken for a published code system.
"""

from __future__ import annotations

FHIR_VERSION = "4.0.1"
US_CORE_VERSION = "6.1.0"

LOINC = "http://loinc.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
NPI = "http://hl7.org/fhir/sid/us-npi"
UCUM = "http://unitsofmeasure.org"
URI_IDENTIFIER = "urn:ietf:rfc:3986"
#: The FHIR-version code system (hl7.org/fhir/R4/codesystem-FHIR-version.html), used in meta.tag.
FHIR_VERSION_SYSTEM = "http://hl7.org/fhir/FHIR-version"

CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
DOCUMENT_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"

#: txplan's own codes: a score without a LOINC code is ``<instrument id>.<score name>``.
TXPLAN_SCORE = "urn:txplan:fhir:score"
#: txplan's own instrument codes (the instrument id), for items and forms without LOINC codes.
TXPLAN_INSTRUMENT = "urn:txplan:fhir:instrument"
#: The practice's own client number (a plan does not say which system issued it).
TXPLAN_CLIENT_IDENTIFIER = "urn:txplan:fhir:client-identifier"
#: Marks the primary diagnosis among a plan's Conditions (FHIR R4 Condition has no element for it).
TXPLAN_DIAGNOSIS_ROLE = "urn:txplan:fhir:diagnosis-role"
#: Where txplan's Questionnaire canonicals for forms without a LOINC panel live.
TXPLAN_QUESTIONNAIRE = "urn:txplan:fhir:questionnaire:"
#: LOINC's canonical for the Questionnaire of a panel (as LHC-Forms writes it).
LOINC_QUESTIONNAIRE = "http://loinc.org/q/"

PLAN_OF_CARE_NOTE = "18776-5"

_US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
#: The Bundle tag of a de-identified export (``txplan export --deidentify``): codes
#: ``year-dates`` (Safe Harbor, dates reduced to the year) and ``shifted-dates`` (not Safe Harbor).
TXPLAN_DEIDENTIFIED = "urn:txplan:fhir:deidentified"
#: The resources a de-identified export cannot profile as US Core (their required identifier
#: and name are what Safe Harbor removes): they declare no profile.
UNPROFILED_WHEN_DEIDENTIFIED = frozenset({"Patient", "Practitioner"})
PROFILES = {
    "Patient": _US_CORE + "us-core-patient",
    "Practitioner": _US_CORE + "us-core-practitioner",
    "Organization": _US_CORE + "us-core-organization",
    "Condition": _US_CORE + "us-core-condition-problems-health-concerns",
    "Goal": _US_CORE + "us-core-goal",
    "CarePlan": _US_CORE + "us-core-careplan",
    "QuestionnaireResponse": _US_CORE + "us-core-questionnaireresponse",
    "Observation": _US_CORE + "us-core-observation-screening-assessment",
    "DocumentReference": _US_CORE + "us-core-documentreference",
}
