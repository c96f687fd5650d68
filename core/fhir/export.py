"""A whole plan as one FHIR R4 Bundle of type ``collection``.

Every resource gets an id that is a UUID derived (uuid5) from the plan's identity (the client's
identifier, else name and date of birth, and the plan's start date) and the resource's own key
(a goal's id, a diagnosis code, an administration's instrument, date and position), so the same
plan exported again gives the same ids: a receiving system replaces what it has instead of
adding a copy. References point at the entries' ``urn:uuid:`` full URLs, so every reference
resolves inside the bundle. Nothing here reads the clock: the same plan, pack and ``as_of`` date
always give the same bytes.

De-identified (``deidentify=``, :mod:`txplan.deidentify`), the bundle is built from a
de-identified copy of the plan's data and the attached documents are the de-identified
rendering: the client is "Client" with the year of birth at most, the clinician "Clinician", the
practice has no address or contact, identifiers are gone, dates are years (or moved by the run's
one secret offset) and free text is scrubbed as the documents are. Ids then come from a random
salt drawn for each run, never from the client's identity (an id derived from a name and date
of birth could be matched by trying names); the Patient and Practitioner declare no US Core
profile (it requires the identifier and name removed), and the Bundle carries a
:data:`~txplan.fhir.systems.TXPLAN_DEIDENTIFIED` tag.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import secrets
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..contracts import FhirMapping, Instrument
from ..errors import PlanError
from ..measures import objective_status, short_name
from . import systems
from .uscore import DATE

if TYPE_CHECKING:
    from ..deidentify import Deidentify
    from ..errors import Problem

#: The namespace of txplan's resource ids (uuid5 of this name in the URL namespace).
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:txplan:fhir")

XHTML = "http://www.w3.org/1999/xhtml"


class BundleBuilder:
    """Collects resources with stable ids and gives out the references to them."""

    def __init__(self, identity: str, deidentified: str | None = None) -> None:
        """``identity`` names the plan; every id is derived from it and a resource key.
        ``deidentified`` (``year-dates`` or ``shifted-dates``) marks a de-identified bundle."""
        self.identity = identity
        self.deidentified = deidentified
        self.entries: list[dict[str, Any]] = []

    def uuid_for(self, key: str) -> str:
        """The stable UUID of the resource with ``key`` in this plan."""
        return str(uuid.uuid5(ID_NAMESPACE, f"{self.identity}\n{key}"))

    def ref(self, key: str) -> dict[str, str]:
        """A reference to the resource with ``key`` (added before or after)."""
        return {"reference": f"urn:uuid:{self.uuid_for(key)}"}

    def add(self, key: str, resource: dict[str, Any]) -> dict[str, str]:
        """Add ``resource`` under ``key`` with its id and US Core profile; return a reference."""
        rid = self.uuid_for(key)
        kind = resource["resourceType"]
        unprofiled = self.deidentified and kind in systems.UNPROFILED_WHEN_DEIDENTIFIED
        body: dict[str, Any] = {"resourceType": kind, "id": rid}
        if not unprofiled:
            body["meta"] = {"profile": [systems.PROFILES[kind]]}
        body.update((name, value) for name, value in resource.items() if name != "resourceType")
        self.entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": body})
        return {"reference": f"urn:uuid:{rid}"}

    def bundle(self) -> dict[str, Any]:
        """The Bundle of everything added, in the order added."""
        bid = self.uuid_for("bundle")
        tags = [{"system": systems.FHIR_VERSION_SYSTEM, "code": systems.FHIR_VERSION}]
        if self.deidentified:
            tags.append({"system": systems.TXPLAN_DEIDENTIFIED, "code": self.deidentified, "display": DEIDENTIFIED_DISPLAY})
        return {
            "resourceType": "Bundle",
            "id": bid,
            "meta": {"tag": tags},
            "identifier": {"system": systems.URI_IDENTIFIER, "value": f"urn:uuid:{bid}"},
            "type": "collection",
            "entry": self.entries,
        }


#: The rendered documents attached to the DocumentReference: (format, media type or None for
#: the format's own).
ATTACHED = (("markdown", "text/markdown"), ("docx", None))


#: What the de-identified tag says.
DEIDENTIFIED_DISPLAY = "De-identified for supervision - review before sharing"


def plan_bundle(engine: Any, plan: Any, *, as_of: Any = None, deidentify: bool | Deidentify = False) -> dict[str, Any]:
    """The Bundle for ``plan`` (a :class:`txplan.loader.Plan`) rendered with ``engine`` (a
    :class:`txplan.Engine`; its pack words the attached documents, which state objectives'
    status as of ``as_of``, default today). ``deidentify=True`` (or a
    :class:`txplan.Deidentify`, e.g. ``Deidentify.shifted()``) exports it de-identified (see the
    module's notes; :func:`exported` also gives the warnings for review). :class:`PlanError` if
    the plan is not valid."""
    return exported(engine, plan, as_of=as_of, deidentify=deidentify)[0]


def exported(engine: Any, plan: Any, *, as_of: Any = None, deidentify: bool | Deidentify = False) -> tuple[dict[str, Any], list[Problem]]:
    """:func:`plan_bundle`'s Bundle and, when de-identified, what a person must review (located
    by field and line, never quoting a value)."""
    from ..deidentify import Deidentify
    from .uscore import bundle_problems

    options = Deidentify() if deidentify is True else deidentify or None
    problems = engine.validate(plan)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise PlanError(f"{plan.source}: not exported: the plan is not valid", problems=errors)
    document = engine.render_document(plan, problems, as_of=as_of, deidentify=options)
    attached = []
    for name, media_type in ATTACHED:
        output_format = engine.output_format(name)
        attached.append((media_type or output_format.media_type, engine.render_with(output_format, document)))
    names = {f"{lib.namespace}.{entry.id}": entry.name for lib in engine.libraries.values() for entry in lib.entries}
    review: list[Problem] = []
    if options is None:
        bundle = build_bundle(plan.data, engine.host.instruments, names, attached, document.title)
    else:
        when = as_of or engine.as_of or dt.date.today()
        data, found = options.plan_data(plan.data, when, lambda path, message: plan.problem(path, message, "warning"))
        said = set()
        for problem in [*(document.context.deidentified or {}).get("for_review", []), *found]:
            if str(problem) not in said:
                said.add(str(problem))
                review.append(problem)
        mode = "year-dates" if options.shift_days is None else "shifted-dates"
        bundle = build_bundle(data, engine.host.instruments, names, attached, document.title, judged_from=plan.data, deidentified=mode)
    broken = bundle_problems(bundle)
    if broken:  # txplan's own bug: never hand an EHR a bundle that breaks the promises
        raise RuntimeError("the FHIR bundle failed txplan's own checks: " + "; ".join(broken[:3]))
    return bundle, review


def plan_identity(data: Mapping[str, Any]) -> str:
    """What makes two exports the same plan: the client (identifier, else name and date of birth)
    and the plan's start date."""
    client = data["client"]
    who = ["id", client["identifier"]] if client.get("identifier") else ["name", client["name"], client["date_of_birth"]]
    return json.dumps([*who, data["plan"]["start_date"]], ensure_ascii=False)


def build_bundle(
    data: Mapping[str, Any],
    instruments: Mapping[str, Instrument],
    entry_names: Mapping[str, str],
    documents: list[tuple[str, bytes]],
    title: str = "Treatment plan",
    *,
    judged_from: Mapping[str, Any] | None = None,
    deidentified: str | None = None,
) -> dict[str, Any]:
    """The Bundle for a valid plan's ``data``. ``entry_names`` maps a library intervention
    (``cbt.cognitive-restructuring``) to its name; ``documents`` are the rendered plan as
    ``(media type, bytes)`` pairs, attached to the DocumentReference.

    De-identified (``deidentified`` is ``year-dates`` or ``shifted-dates``), ``data`` is the
    de-identified copy (:meth:`txplan.Deidentify.plan_data`) and ``judged_from`` the plan's own
    data, from which objectives' status is judged (the copy's dates may be years alone)."""
    if deidentified:
        # A salt drawn for this run: ids that nobody can recompute from the client's identity.
        b = BundleBuilder(secrets.token_hex(32), deidentified)
        patient = b.add("Patient/client", _deidentified_patient(data["client"]))
        practitioner = b.add("Practitioner/clinician", _deidentified_practitioner(data["clinician"]))
        organization = b.add("Organization/practice", {"resourceType": "Organization", "active": True, "name": DEIDENTIFIED_PRACTICE})
    else:
        b = BundleBuilder(plan_identity(data))
        patient = b.add("Patient/client", _patient(b, data["client"]))
        practitioner = b.add("Practitioner/clinician", _practitioner(b, data["clinician"]))
        organization = b.add("Organization/practice", _organization(data["practice"]))
    judged = judged_from if judged_from is not None else data
    diagnoses = _primary_first(data.get("diagnoses") or [])
    # A code written twice (two descriptions of one code) still gives two resources, two ids.
    conditions = [b.add(f"Condition/{d['code']}/{_nth(diagnoses, i)}", _condition(d, patient)) for i, d in enumerate(diagnoses)]
    responses = _administrations(b, data.get("assessments") or [], instruments, patient)
    goals = [
        b.add(f"Goal/{goal['id']}", _goal(goal, data, instruments, patient, conditions, judged["goals"][n]["objectives"], judged))
        for n, goal in enumerate(data["goals"])
    ]
    document = b.ref("DocumentReference/plan")
    b.add("CarePlan/plan", _careplan(data, title, patient, practitioner, conditions, goals, entry_names, document, responses))
    b.add("DocumentReference/plan", _document(data, title, patient, practitioner, organization, documents))
    return b.bundle()


# -- people and places ------------------------------------------------------------------------


def _human_name(text: str, use: str = "official") -> dict[str, Any]:
    """A HumanName with the name as written in ``text``; ``family`` is its last word and
    ``given`` the words before it (titles ending in a dot left out): txplan records a name as
    one string, and US Core asks for the family name apart."""
    words = text.split()
    given = [w for w in words[:-1] if not w.endswith(".")]
    name: dict[str, Any] = {"use": use, "text": text, "family": words[-1] if words else text}
    if given:
        name["given"] = given
    return name


def _patient(b: BundleBuilder, client: Mapping[str, Any]) -> dict[str, Any]:
    identifier = (
        {"system": systems.TXPLAN_CLIENT_IDENTIFIER, "value": client["identifier"]}
        if client.get("identifier")
        else {"system": systems.URI_IDENTIFIER, "value": f"urn:uuid:{b.uuid_for('Patient/client')}"}
    )
    names = [_human_name(client["name"])]
    if client.get("preferred_name"):
        names.append({"use": "usual", "text": client["preferred_name"]})
    return {
        "resourceType": "Patient",
        "identifier": [identifier],
        "name": names,
        # US Core requires an administrative gender; a plan does not record one, so it is said plainly.
        "gender": "unknown",
        "birthDate": client["date_of_birth"],
    }


#: The de-identified practice's name.
DEIDENTIFIED_PRACTICE = "Practice (de-identified)"


def _deidentified_patient(client: Mapping[str, Any]) -> dict[str, Any]:
    """The client without identifier, name, contact or address; the year of birth (or the
    shifted date) only where it is a date at all: an age over 89 gives none."""
    resource: dict[str, Any] = {"resourceType": "Patient", "name": [{"text": "Client"}], "gender": "unknown"}
    born = fhir_date(client.get("date_of_birth"))
    if born:
        resource["birthDate"] = born
    return resource


def _deidentified_practitioner(clinician: Mapping[str, Any]) -> dict[str, Any]:
    """The clinician as "Clinician" with credentials and licence state: no NPI, no licence number."""
    qualification: dict[str, Any] = {"code": {"text": clinician["credentials"]}}
    state = (clinician.get("license") or {}).get("state")
    if state:  # a state is not among Safe Harbor's identifiers
        qualification["issuer"] = {"display": state}
    return {"resourceType": "Practitioner", "name": [{"text": "Clinician"}], "qualification": [qualification]}


def fhir_date(value: Any) -> str | None:
    """``value`` where it is a FHIR date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``), else
    ``None``: a de-identified date may be "90 or older" or "[year removed]"."""
    return value if isinstance(value, str) and DATE.fullmatch(value) else None


def _put_date(target: dict[str, Any], name: str, value: Any) -> None:
    """Set ``target[name]`` to ``value`` where it is a date (see :func:`fhir_date`)."""
    date = fhir_date(value)
    if date:
        target[name] = date


def _period(plan: Mapping[str, Any]) -> dict[str, str]:
    period: dict[str, str] = {}
    _put_date(period, "start", plan["start_date"])
    _put_date(period, "end", plan.get("end_date"))
    return period


def _practitioner(b: BundleBuilder, clinician: Mapping[str, Any]) -> dict[str, Any]:
    # US Core wants an identifier; without an NPI the resource's own UUID is the honest one.
    identifiers = (
        [{"system": systems.NPI, "value": clinician["npi"]}]
        if clinician.get("npi")
        else [{"system": systems.URI_IDENTIFIER, "value": f"urn:uuid:{b.uuid_for('Practitioner/clinician')}"}]
    )
    qualification: dict[str, Any] = {"code": {"text": clinician["credentials"]}}
    license = clinician.get("license") or {}
    if license.get("number"):
        qualification["identifier"] = [{"value": license["number"]}]
        if license.get("state"):
            qualification["issuer"] = {"display": license["state"]}
    resource: dict[str, Any] = {"resourceType": "Practitioner", "identifier": identifiers}
    resource["name"] = [_human_name(clinician["name"])]
    resource["qualification"] = [qualification]
    return resource


def _organization(practice: Mapping[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Organization"}
    if practice.get("npi"):
        resource["identifier"] = [{"system": systems.NPI, "value": practice["npi"]}]
    resource["active"] = True
    resource["name"] = practice["name"]
    telecom = [{"system": kind, "value": practice[field]} for kind, field in (("phone", "phone"), ("fax", "fax"), ("email", "email")) if practice.get(field)]
    if telecom:
        resource["telecom"] = telecom
    if practice.get("address"):
        lines = [line.strip() for line in practice["address"].splitlines() if line.strip()]
        resource["address"] = [{"text": ", ".join(lines), "line": lines}]
    return resource


# -- diagnoses, goals, plan -------------------------------------------------------------------


def _nth(diagnoses: list[Mapping[str, Any]], index: int) -> int:
    """How many diagnoses up to ``index`` (included) have the code of the one at ``index``."""
    return sum(1 for d in diagnoses[: index + 1] if d["code"] == diagnoses[index]["code"])


def _primary_first(diagnoses: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(diagnoses, key=lambda d: not d.get("primary"))


def _condition(diagnosis: Mapping[str, Any], patient: dict[str, str]) -> dict[str, Any]:
    category = [{"coding": [{"system": systems.CONDITION_CATEGORY, "code": "problem-list-item", "display": "Problem List Item"}]}]
    if diagnosis.get("primary"):
        category.append({"coding": [{"system": systems.TXPLAN_DIAGNOSIS_ROLE, "code": "primary", "display": "Primary diagnosis"}]})
    return {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": systems.CONDITION_CLINICAL, "code": "active"}]},
        "category": category,
        "code": {"coding": [{"system": systems.ICD10CM, "code": diagnosis["code"]}], "text": diagnosis["description"]},
        "subject": patient,
    }


def objective_state(objective: Mapping[str, Any], scored: list[dict[str, Any]], instruments: Mapping[str, Instrument]) -> str:
    """An objective's status: ``met`` or ``in_progress`` from its measure where the plan has the
    administrations to judge it (as the documents judge it), else as recorded."""
    measured = objective_status(dict(objective), scored, instruments)
    if measured and measured["state"] != "no_data":
        return "met" if measured["state"] == "met" else "in_progress"
    return str(objective.get("status") or "not_started")


def _goal_status(states: list[str]) -> tuple[str, str | None]:
    """``(lifecycleStatus, achievementStatus)`` for a goal whose objectives have ``states``."""
    if states and all(s == "met" for s in states):
        return "completed", "achieved"
    if states and all(s == "discontinued" for s in states):
        return "cancelled", None
    if any(s in ("met", "in_progress", "partially_met") for s in states):
        return "active", "in-progress"
    return "active", None


def _goal(
    goal: Mapping[str, Any],
    data: Mapping[str, Any],
    instruments: Mapping[str, Instrument],
    patient: dict[str, str],
    conditions: list[dict[str, str]],
    judged_objectives: list[Mapping[str, Any]],
    judged: Mapping[str, Any],
) -> dict[str, Any]:
    scored = [
        {**a, "score_result": instruments[a["instrument"]].score(a)} for a in judged.get("assessments") or [] if a.get("instrument") in instruments
    ]
    states = [objective_state(o, scored, instruments) for o in judged_objectives]
    lifecycle, achievement = _goal_status(states)
    resource: dict[str, Any] = {"resourceType": "Goal", "lifecycleStatus": lifecycle}
    if achievement:
        resource["achievementStatus"] = {"coding": [{"system": systems.GOAL_ACHIEVEMENT, "code": achievement}]}
    resource["description"] = {"text": goal["statement"]}
    resource["subject"] = patient
    _put_date(resource, "startDate", data["plan"]["start_date"])
    resource["target"] = [_target(o, instruments) for o in goal["objectives"]]
    resource["expressedBy"] = patient  # the statement is the client's own words
    if conditions:
        resource["addresses"] = conditions
    notes = []
    if goal.get("clinical_statement"):
        notes.append({"text": f"Clinical statement: {goal['clinical_statement']}"})
    notes.extend({"text": f"Objective {o['id']}: {o['description']} Criterion: {o['criterion']}"} for o in goal["objectives"])
    resource["note"] = notes
    return resource


def _target(objective: Mapping[str, Any], instruments: Mapping[str, Instrument]) -> dict[str, Any]:
    """One objective as a Goal.target: for a measured objective the score's code and the range
    that counts as met; otherwise the objective's words and its criterion."""
    measure = objective.get("measure")
    target: dict[str, Any] = {}
    if measure:
        instrument = instruments.get(measure["instrument"])
        target["measure"] = score_concept(instrument, measure["instrument"], measure["score"])
        bounds = {}
        if measure.get("at_least") is not None:
            bounds["low"] = _quantity(measure["at_least"])
        if measure.get("at_most") is not None:
            bounds["high"] = _quantity(measure["at_most"])
        target["detailRange"] = bounds
    else:
        target["measure"] = {"text": f"Objective {objective['id']}: {objective['description']}"}
        target["detailString"] = objective["criterion"]
    _put_date(target, "dueDate", objective["target_date"])
    return target


def _quantity(value: float) -> dict[str, Any]:
    return {"value": value, "unit": "{score}", "system": systems.UCUM, "code": "{score}"}


def score_concept(instrument: Instrument | None, instrument_id: str, score: str) -> dict[str, Any]:
    """The code of one score: its LOINC code where the instrument declares one, else txplan's
    ``<instrument>.<score>``."""
    mapping = instrument.fhir if instrument else None
    label = f"{short_name(instrument)} {instrument.label(score)}" if instrument else f"{instrument_id} {score}"
    if mapping and score in mapping.scores:
        coding = {"system": systems.LOINC, "code": mapping.scores[score]}
    else:
        coding = {"system": systems.TXPLAN_SCORE, "code": f"{instrument_id}.{score}", "display": label}
    return {"coding": [coding], "text": label}


def _careplan(
    data: Mapping[str, Any],
    title: str,
    patient: dict[str, str],
    practitioner: dict[str, str],
    conditions: list[dict[str, str]],
    goals: list[dict[str, str]],
    entry_names: Mapping[str, str],
    document: dict[str, str],
    responses: list[dict[str, str]],
) -> dict[str, Any]:
    signed = bool(((data.get("signatures") or {}).get("clinician") or {}).get("date"))
    period = _period(data["plan"])
    goal_refs = {goal["id"]: ref for goal, ref in zip(data["goals"], goals, strict=True)}
    activities = []
    for intervention in data["interventions"]:
        name = intervention.get("name") or entry_names.get(intervention.get("library") or "", intervention.get("library") or intervention["id"])
        description = " ".join(p for p in (intervention.get("description"), intervention.get("application")) if p) or name
        detail: dict[str, Any] = {
            "code": {"text": name},
            "goal": [goal_refs[g] for g in intervention["goals"] if g in goal_refs],
            # The plan records what is planned, not whether each intervention has begun.
            "status": "unknown",
            "performer": [practitioner],
            "description": description,
        }
        if intervention.get("frequency"):
            detail["scheduledString"] = intervention["frequency"]
        activities.append({"detail": detail})
    narrative = "".join(f"<li>{html.escape(goal['statement'])}</li>" for goal in data["goals"])
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "text": {"status": "generated", "div": f'<div xmlns="{XHTML}"><p>{html.escape(title)}</p><ul>{narrative}</ul></div>'},
        "status": "active" if signed else "draft",
        "intent": "plan",
        "category": [{"coding": [{"system": systems.CAREPLAN_CATEGORY, "code": "assess-plan"}]}],
        "title": title,
        "subject": patient,
        **({"period": period} if period else {}),
        "author": practitioner,
    }
    if conditions:
        resource["addresses"] = conditions
    resource["supportingInfo"] = [document, *responses]
    resource["goal"] = goals
    resource["activity"] = activities
    return resource


# -- administrations --------------------------------------------------------------------------


def _administrations(b: BundleBuilder, assessments: list[Mapping[str, Any]], instruments: Mapping[str, Instrument], patient: dict[str, str]) -> list[dict[str, str]]:
    """A QuestionnaireResponse for each administration of an instrument with a form mapping, and
    an Observation for each of its scores; returns the references to the responses."""
    seen: dict[tuple[str, str], int] = {}
    responses = []
    for assessment in assessments:
        instrument = instruments.get(assessment.get("instrument", ""))
        if instrument is None:
            continue  # 'custom' assessments are words, not scores
        key = (instrument.id, assessment["date"])
        seen[key] = seen.get(key, 0) + 1
        base = f"{instrument.id}/{assessment['date']}/{seen[key]}"
        result = instrument.score(assessment)
        response = None
        if form_of(instrument):
            response = b.add(f"QuestionnaireResponse/{base}", questionnaire_response(instrument, assessment, patient))
            responses.append(response)
        for score, value in result.scores.items():
            b.add(f"Observation/{base}/{score}", _observation(instrument, assessment["date"], score, value, patient, response))
    return responses


def form_of(instrument: Instrument) -> FhirMapping | None:
    """The instrument's FHIR mapping where it has a form and items to write, else ``None``."""
    mapping = instrument.fhir
    return mapping if mapping is not None and mapping.form and mapping.items else None


def questionnaire_canonical(mapping: FhirMapping) -> str:
    """The Questionnaire a response answers: LOINC's canonical for the panel."""
    return systems.LOINC_QUESTIONNAIRE + mapping.form


def answer_value(mapping: FhirMapping, rating: int, codes: tuple[str, ...] | None = None) -> dict[str, Any]:
    """One answer: the LOINC answer code for ``rating`` where the mapping has codes, else the
    rating as an integer."""
    codes = mapping.answers if codes is None else codes
    if codes:
        coding: dict[str, Any] = {"system": systems.LOINC, "code": codes[rating - mapping.low]}
        if codes is mapping.answers and mapping.answer_displays:
            coding["display"] = mapping.answer_displays[rating - mapping.low]
        return {"valueCoding": coding}
    return {"valueInteger": rating}


def questionnaire_response(instrument: Instrument, assessment: Mapping[str, Any], patient: Mapping[str, Any]) -> dict[str, Any]:
    """One administration as a QuestionnaireResponse: one item per rated item, linkIds from the
    mapping, answers as LOINC answer codes (no item text: txplan ships none)."""
    mapping = instrument.fhir
    assert mapping is not None
    ratings = assessment[instrument.data_key]
    items = [{"linkId": link, "answer": [answer_value(mapping, rating)]} for link, rating in zip(mapping.items, ratings, strict=True)]
    for field_name, (link, codes) in mapping.extras.items():
        if assessment.get(field_name) is not None:
            items.append({"linkId": link, "answer": [answer_value(mapping, assessment[field_name], codes)]})
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": questionnaire_canonical(mapping),
        "status": "completed",
        "subject": patient,
        "authored": assessment["date"],
        "item": items,
    }


def _observation(instrument: Instrument, date: str, score: str, value: float, patient: dict[str, str], response: dict[str, str] | None) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": systems.OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        "code": score_concept(instrument, instrument.id, score),
        "subject": patient,
        "effectiveDateTime": date,
    }
    if isinstance(value, int) and not isinstance(value, bool):
        resource["valueInteger"] = value
    else:
        resource["valueQuantity"] = _quantity(float(value))
    if response is not None:
        resource["derivedFrom"] = [response]
    return resource


# -- the rendered document --------------------------------------------------------------------


def _document(
    data: Mapping[str, Any], title: str, patient: dict[str, str], practitioner: dict[str, str], organization: dict[str, str], documents: list[tuple[str, bytes]]
) -> dict[str, Any]:
    content = []
    for media_type, payload in documents:
        content.append(
            {
                "attachment": {
                    "contentType": media_type,
                    "data": base64.b64encode(payload).decode("ascii"),
                    "size": len(payload),
                    "hash": base64.b64encode(hashlib.sha1(payload, usedforsecurity=False).digest()).decode("ascii"),
                    "title": title,
                }
            }
        )
    period = _period(data["plan"])
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": systems.LOINC, "code": systems.PLAN_OF_CARE_NOTE, "display": "Plan of care note"}]},
        "category": [{"coding": [{"system": systems.DOCUMENT_CATEGORY, "code": "clinical-note", "display": "Clinical Note"}]}],
        "subject": patient,
        "author": [practitioner],
        "custodian": organization,
        "description": title,
        "content": content,
        **({"context": {"period": period}} if period else {}),
    }
