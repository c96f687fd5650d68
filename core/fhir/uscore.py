"""txplan's own checks of an exported Bundle: what the FHIR model libraries do not check.

The required (1..) elements of the US Core 6.1.0 profiles txplan declares, the codes of the
required value sets (FHIR R4 4.0.1), that every reference resolves inside the bundle, that every
id is unique and that every resource declares its profile. In a de-identified bundle (tagged
``urn:txplan:fhir:deidentified``) the Patient and Practitioner declare no profile, so their US
Core requirements (identifier, name) are not checked; instead they, and the Organization, must
carry no identifier, telecom or address, and the Patient's birth date at most a year unless the
dates were shifted. :func:`bundle_problems` returns one
sentence per problem; an export with any is a bug in txplan, never written.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping
from typing import Any

from . import systems

DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
VALUE_SETS = {
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
    ("Goal", "lifecycleStatus"): {"proposed", "planned", "accepted", "active", "on-hold", "completed", "cancelled", "entered-in-error", "rejected"},
    ("CarePlan", "status"): {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"},
    ("CarePlan", "intent"): {"proposal", "plan", "order", "option"},
    ("QuestionnaireResponse", "status"): {"in-progress", "completed", "amended", "entered-in-error", "stopped"},
    ("Observation", "status"): {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"},
    ("DocumentReference", "status"): {"current", "superseded", "entered-in-error"},
}
ACTIVITY_STATUS = {"not-started", "scheduled", "in-progress", "on-hold", "completed", "cancelled", "stopped", "unknown", "entered-in-error"}
ACHIEVEMENT = {"in-progress", "improving", "worsening", "no-change", "achieved", "sustaining", "not-achieved", "no-progress", "not-attainable"}
REQUIRED = {
    "Patient": ("identifier", "name", "gender"),
    "Practitioner": ("identifier", "name"),
    "Organization": ("active", "name"),
    "Condition": ("category", "code", "subject"),
    "Goal": ("lifecycleStatus", "description", "subject"),
    "CarePlan": ("text", "status", "intent", "category", "subject"),
    "QuestionnaireResponse": ("questionnaire", "status", "subject", "authored"),
    "Observation": ("status", "category", "code", "subject", "effectiveDateTime"),
    "DocumentReference": ("status", "type", "category", "subject", "content"),
}


def _codings(concept: Any) -> list[tuple[Any, Any]]:
    if isinstance(concept, list):
        return [pair for c in concept for pair in _codings(c)]
    if not isinstance(concept, Mapping):
        return []
    return [(c.get("system"), c.get("code")) for c in concept.get("coding") or []]


def references(value: Any) -> Iterator[str]:
    """Every ``reference`` string anywhere in ``value``."""
    if isinstance(value, Mapping):
        if isinstance(value.get("reference"), str):
            yield value["reference"]
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def bundle_problems(bundle: Mapping[str, Any]) -> list[str]:
    """Every way ``bundle`` misses what txplan promises (empty when none)."""
    out = []
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") not in ("collection", "document"):
        out.append("Bundle: expected a Bundle of type collection")
    entries = bundle.get("entry") or []
    tags = {(t.get("system"), t.get("code")) for t in (bundle.get("meta") or {}).get("tag") or []}
    deidentified = next((code for system, code in tags if system == systems.TXPLAN_DEIDENTIFIED), None)
    urls = [e.get("fullUrl") for e in entries]
    if len(set(urls)) != len(urls):
        out.append("Bundle.entry.fullUrl: not unique")
    for number, entry in enumerate(entries):
        resource = entry["resource"]
        kind = resource.get("resourceType")
        where = f"Bundle.entry[{number}] {kind}"
        if entry.get("fullUrl") != f"urn:uuid:{resource.get('id')}":
            out.append(f"{where}: fullUrl is not urn:uuid:<id>")
        if deidentified:
            out.extend(f"{where}: {p}" for p in _deidentified(kind, resource, deidentified))
        if deidentified and kind in systems.UNPROFILED_WHEN_DEIDENTIFIED:
            if "meta" in resource:
                out.append(f"{where}: a de-identified {kind} declares no profile")
            for reference in references(resource):
                if reference not in urls:
                    out.append(f"{where}: reference {reference} does not resolve inside the bundle")
            continue
        if (resource.get("meta") or {}).get("profile") != [systems.PROFILES.get(kind)]:
            out.append(f"{where}: meta.profile does not declare {systems.PROFILES.get(kind)}")
        for name in REQUIRED.get(kind, ()):
            if resource.get(name) in (None, "", [], {}):
                out.append(f"{where}: {name} is required")
        for (of, name), allowed in VALUE_SETS.items():
            if of == kind and resource.get(name) not in allowed:
                out.append(f"{where}: {name} is not one of {sorted(allowed)}")
        for reference in references(resource):
            if reference not in urls:
                out.append(f"{where}: reference {reference} does not resolve inside the bundle")
        out.extend(f"{where}: {p}" for p in _specific(kind, resource))
    return out


def _deidentified(kind: str, resource: Mapping[str, Any], mode: str) -> list[str]:
    """What a de-identified bundle's people and practice must not carry."""
    if kind not in ("Patient", "Practitioner", "Organization"):
        return []
    out = [f"a de-identified {kind} carries {name}" for name in ("identifier", "telecom", "address") if name in resource]
    if kind == "Patient" and mode != "shifted-dates" and len(str(resource.get("birthDate", "0000"))) != 4:
        out.append("a de-identified birthDate is a year at most")
    if kind == "Practitioner" and any("identifier" in q for q in resource.get("qualification") or []):
        out.append("a de-identified qualification carries an identifier")
    return out


def _specific(kind: str, resource: Mapping[str, Any]) -> list[str]:
    out = []
    if kind == "Patient":
        if not all(i.get("system") and i.get("value") for i in resource.get("identifier") or []):
            out.append("identifier needs system and value")
        if not all(n.get("family") or n.get("given") or n.get("text") for n in resource.get("name") or []):
            out.append("name needs a family or given name")
        if not DATE.match(str(resource.get("birthDate", ""))):
            out.append("birthDate is not a date")
    elif kind == "Practitioner":
        if not all(n.get("family") for n in resource.get("name") or []):
            out.append("name.family is required")
        if any(i.get("system") == systems.NPI and not re.fullmatch(r"\d{10}", i.get("value", "")) for i in resource.get("identifier") or []):
            out.append("an NPI is 10 digits")
    elif kind == "Condition":
        if not any(s == systems.CONDITION_CATEGORY and c in ("problem-list-item", "health-concern") for s, c in _codings(resource.get("category"))):
            out.append("category needs problem-list-item or health-concern")
        if not any(s == systems.ICD10CM and re.fullmatch(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?", str(c)) for s, c in _codings(resource.get("code"))):
            out.append("code needs an ICD-10-CM coding")
    elif kind == "Goal":
        if not (resource.get("description") or {}).get("text"):
            out.append("description.text is required")
        if any(c not in ACHIEVEMENT for _, c in _codings(resource.get("achievementStatus"))):
            out.append("achievementStatus is not in the goal-achievement value set")
        for target in resource.get("target") or []:
            if any(k.startswith("detail") for k in target) and not target.get("measure"):
                out.append("target with a detail needs a measure (gol-1)")
            if "dueDate" in target and not DATE.match(target["dueDate"]):
                out.append("target.dueDate is not a date")
    elif kind == "CarePlan":
        text = resource.get("text") or {}
        if text.get("status") not in ("generated", "additional") or not str(text.get("div", "")).startswith('<div xmlns="http://www.w3.org/1999/xhtml">'):
            out.append("text needs status generated or additional and an XHTML div")
        if (systems.CAREPLAN_CATEGORY, "assess-plan") not in _codings(resource.get("category")):
            out.append("category needs assess-plan")
        for activity in resource.get("activity") or []:
            if (activity.get("detail") or {}).get("status") not in ACTIVITY_STATUS:
                out.append("activity.detail.status is not in the care-plan-activity-status value set")
    elif kind == "QuestionnaireResponse":
        if not all(item.get("linkId") and len(item.get("answer") or []) == 1 for item in resource.get("item") or []):
            out.append("every item needs a linkId and one answer")
    elif kind == "Observation":
        if (systems.OBSERVATION_CATEGORY, "survey") not in _codings(resource.get("category")):
            out.append("category needs survey")
        if not any(k.startswith("value") for k in resource):
            out.append("value[x] is missing")
    elif kind == "DocumentReference":
        if (systems.LOINC, systems.PLAN_OF_CARE_NOTE) not in _codings(resource.get("type")):
            out.append(f"type needs LOINC {systems.PLAN_OF_CARE_NOTE}")
        if (systems.DOCUMENT_CATEGORY, "clinical-note") not in _codings(resource.get("category")):
            out.append("category needs clinical-note")
        for content in resource.get("content") or []:
            out.extend(_attachment(content.get("attachment") or {}))
    return out


def _attachment(attachment: Mapping[str, Any]) -> list[str]:
    if not attachment.get("contentType"):
        return ["content.attachment.contentType is required"]
    try:
        payload = base64.b64decode(attachment.get("data", ""), validate=True)
    except (binascii.Error, ValueError):
        return ["content.attachment.data is not base64"]
    if not payload or attachment.get("size") != len(payload):
        return ["content.attachment.size does not match its data"]
    return []
