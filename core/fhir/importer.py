"""Instrument answers from FHIR R4 into assessment entries.

Reads a QuestionnaireResponse, an Observation (a panel with its items as components or as
members), or a Bundle of them, and recognises each instrument by the LOINC codes its plugin
declares (:class:`txplan.contracts.FhirMapping`). Everything is checked before anything is
returned: the patient (the plan's ``client.identifier`` must be among the subject's
identifiers), the form, every item present once with one answer in range, the date, the status,
and any score sent along with the answers (it must equal the score txplan computes). A problem
names the resource, the element path and what was expected, never a value from the plan.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..contracts import FhirMapping, Instrument
from ..errors import PlanError, Problem
from . import systems

_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})?)?$")
DONE_RESPONSE = ("completed", "amended")
DONE_OBSERVATION = ("final", "amended", "corrected")


@dataclass
class Administration:
    """One administration found in the input, ready to become an assessment entry."""

    instrument: Instrument
    date: str
    ratings: list[int]
    extras: dict[str, int]
    source: str
    #: Scores sent along with the answers, to compare with txplan's: ``(score name, value, where)``.
    claimed: list[tuple[str, float, str]] = field(default_factory=list)

    def entry(self) -> dict[str, Any]:
        """The assessment entry for the plan."""
        return {"instrument": self.instrument.id, "date": self.date, self.instrument.data_key: list(self.ratings), **self.extras}


class _Index:
    """The resources of a bundle, found by full URL or by ``Type/id``."""

    def __init__(self) -> None:
        self.by_ref: dict[str, dict[str, Any]] = {}

    def add(self, resource: dict[str, Any], full_url: Any) -> None:
        if isinstance(full_url, str):
            self.by_ref[full_url] = resource
        rid = resource.get("id")
        if isinstance(rid, str):
            self.by_ref[f"{resource['resourceType']}/{rid}"] = resource

    def resolve(self, reference: Any) -> dict[str, Any] | None:
        if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
            return None
        text = reference["reference"]
        return self.by_ref.get(text) or self.by_ref.get("/".join(text.rsplit("/", 2)[-2:]))


class _Refusal(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def administrations(
    resource: dict[str, Any], instruments: Mapping[str, Instrument], client_identifier: str | None, source: str
) -> tuple[list[Administration], int]:
    """Every administration in ``resource``, and how many Observations were skipped because
    they hold a score in txplan's own code system alone (a txplan export's scores of
    instruments without a FHIR form: there are no answers to import). :class:`PlanError`
    listing every problem found."""
    mappings = {i.id: i for i in instruments.values() if i.fhir is not None and i.fhir.items}
    index = _Index()
    if resource["resourceType"] == "Bundle":
        entries = resource.get("entry")
        if not isinstance(entries, list):
            raise PlanError(problems=[Problem(source, None, "Bundle.entry", "expected a list of entries")])
        found = []
        for number, entry in enumerate(entries):
            inner = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(inner, dict) or not isinstance(inner.get("resourceType"), str):
                raise PlanError(problems=[Problem(source, None, f"Bundle.entry[{number}].resource", "expected a FHIR resource with a 'resourceType'")])
            index.add(inner, entry.get("fullUrl"))
            found.append((f"Bundle.entry[{number}].resource", inner))
    else:
        found = [(resource["resourceType"], resource)]
    problems: list[Problem] = []
    results: dict[int, Administration] = {}
    members: set[int] = set()
    scores: list[tuple[str, dict[str, Any]]] = []
    skipped = 0
    for _where, item in found:
        if item["resourceType"] == "Observation":
            for member in item.get("hasMember") or [] if isinstance(item.get("hasMember"), list) else []:
                target = index.resolve(member)
                if target is not None:
                    members.add(id(target))
    for where, item in found:
        kind = item["resourceType"]
        if kind not in ("QuestionnaireResponse", "Observation"):
            continue  # Patients identify the client; other resources carry nothing to import
        if id(item) in members:
            continue  # an item of a panel, read with its panel
        if kind == "Observation" and _txplan_score(item):
            skipped += 1
            continue
        try:
            _check_patient(item, index, client_identifier)
            if kind == "QuestionnaireResponse":
                found_here = _from_response(item, mappings)
                found_here.claimed = [(score, value, f"{where}.{path}") for score, value, path in found_here.claimed]
                results[id(item)] = found_here
            elif _score_of(item, mappings) is not None:
                scores.append((where, item))
            else:
                results[id(item)] = _from_panel(item, mappings, index)
        except _Refusal as refusal:
            problems.append(Problem(source, None, f"{where}.{refusal.path}".rstrip("."), f"{_label(item)}: {refusal.message}"))
    for where, item in scores:
        try:
            _attach_score(item, mappings, index, results, where)
        except _Refusal as refusal:
            problems.append(Problem(source, None, f"{where}.{refusal.path}".rstrip("."), f"{_label(item)}: {refusal.message}"))
    for administration in results.values():
        problems.extend(_check_claims(administration, source))
    if problems:
        raise PlanError(problems=problems)
    if not results and not skipped:
        raise PlanError(problems=[Problem(source, None, "", "holds no QuestionnaireResponse or Observation with instrument answers")])
    return list(results.values()), skipped


def _txplan_score(resource: Mapping[str, Any]) -> bool:
    code = resource.get("code")
    codings = code.get("coding") if isinstance(code, dict) else None
    return isinstance(codings, list) and bool(codings) and all(isinstance(c, dict) and c.get("system") == systems.TXPLAN_SCORE for c in codings)


def _label(resource: Mapping[str, Any]) -> str:
    rid = resource.get("id")
    return f"{resource['resourceType']}/{rid}" if isinstance(rid, str) and _FHIR_ID.match(rid) else str(resource["resourceType"])


# -- the patient ------------------------------------------------------------------------------


def _check_patient(resource: Mapping[str, Any], index: _Index, client_identifier: str | None) -> None:
    subject = resource.get("subject")
    if not isinstance(subject, dict):
        raise _Refusal("subject", "expected a reference to the patient")
    values: list[Any] = []
    if isinstance(subject.get("identifier"), dict):
        values.append(subject["identifier"].get("value"))
    patient = index.resolve(subject)
    if patient is not None and patient.get("resourceType") == "Patient" and isinstance(patient.get("identifier"), list):
        values.extend(i.get("value") for i in patient["identifier"] if isinstance(i, dict))
    if not values:
        raise _Refusal("subject", "expected the patient's identifier (subject.identifier, or a Patient in the bundle with an identifier) to match the plan's client.identifier")
    if client_identifier is None:
        raise _Refusal("subject", "the plan has no client.identifier to match the patient against; add it to the plan first")
    if client_identifier not in values:
        raise _Refusal("subject", "is for another patient: none of its identifiers is the plan's client.identifier")


# -- QuestionnaireResponse --------------------------------------------------------------------


def _form_code(canonical: str) -> str:
    return canonical.split("|", 1)[0].rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def _link(link_id: Any) -> str:
    """A linkId as the item's code: LHC-Forms writes ``/44250-9`` or ``/44249-1/44250-9``."""
    return str(link_id).strip().rstrip("/").rsplit("/", 1)[-1]


def _walk_items(items: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(items, list):
        raise _Refusal(path, "expected a list of items")
    for number, item in enumerate(items):
        here = f"{path}[{number}]"
        if not isinstance(item, dict) or not isinstance(item.get("linkId"), str):
            raise _Refusal(here, "expected an item with a linkId")
        yield here, item
        if "item" in item:
            yield from _walk_items(item["item"], f"{here}.item")


def _from_response(resource: dict[str, Any], mappings: Mapping[str, Instrument]) -> Administration:
    questionnaire = resource.get("questionnaire")
    if isinstance(questionnaire, dict):
        raise _Refusal("questionnaire", "is not FHIR R4: a Reference here is STU3; R4 has the Questionnaire's canonical URL")
    if resource.get("status") not in DONE_RESPONSE:
        raise _Refusal("status", "expected 'completed' or 'amended' (an unfinished response is not imported)")
    items = list(_walk_items(resource.get("item", []), "item"))
    links: dict[str, tuple[str, dict[str, Any]]] = {}
    for path, item in items:
        if item.get("answer") is None and "item" in item:
            continue  # a group
        code = _link(item["linkId"])
        if code in links:
            raise _Refusal(f"{path}.linkId", "answers the same item twice")
        links[code] = (path, item)
    instrument = _instrument_for_form(questionnaire, links, mappings)
    mapping = instrument.fhir
    assert mapping is not None
    date = _date(resource.get("authored"), "authored")
    ratings = _ratings(instrument, {code: (f"{path}.answer[0]", _single_answer(item, path)) for code, (path, item) in links.items() if item.get("answer") is not None})
    extras, claimed, known = {}, [], set(mapping.items)
    for name, (link, codes) in mapping.extras.items():
        known.add(link)
        if link in links:
            path, item = links[link]
            extras[name] = _rating(_single_answer(item, path), mapping, codes, f"{path}.answer[0]", instrument)
    for score, code in mapping.scores.items():
        known.add(code)
        if code in links:
            path, item = links[code]
            claimed.append((score, _number(_single_answer(item, path), f"{path}.answer[0]"), path))
    unknown = [path for code, (path, _) in links.items() if code not in known]
    if unknown:
        raise _Refusal(f"{unknown[0]}.linkId", f"is not an item of the {_short(instrument)} (expected the linkIds {', '.join(mapping.items)})")
    return Administration(instrument, date, ratings, extras, _label(resource), claimed)


def _instrument_for_form(questionnaire: Any, links: Mapping[str, Any], mappings: Mapping[str, Instrument]) -> Instrument:
    if isinstance(questionnaire, str):
        code = _form_code(questionnaire)
        for instrument in mappings.values():
            if instrument.fhir and instrument.fhir.form == code:
                return instrument
    for instrument in mappings.values():  # a form without a known canonical: recognised by its LOINC item codes
        mapping = instrument.fhir
        if mapping and mapping.item_system == systems.LOINC and set(mapping.items) <= set(links):
            return instrument
    known = ", ".join(f"{i.fhir.form} ({_short(i)})" for i in mappings.values() if i.fhir and i.fhir.form)
    raise _Refusal("questionnaire", f"is not a form txplan knows; expected the LOINC panel of an installed instrument: {known}")


def _single_answer(item: Mapping[str, Any], path: str) -> dict[str, Any]:
    answers = item.get("answer")
    if not isinstance(answers, list) or len(answers) != 1 or not isinstance(answers[0], dict):
        raise _Refusal(f"{path}.answer", "expected exactly one answer")
    return answers[0]


def _ratings(instrument: Instrument, answers: Mapping[str, tuple[str, dict[str, Any]]]) -> list[int]:
    """The ratings in item order from ``answers`` (item code -> (where its value is, the value))."""
    mapping = instrument.fhir
    assert mapping is not None
    missing = [f"{link} (item {number})" for number, link in enumerate(mapping.items, 1) if link not in answers]
    if missing:
        raise _Refusal("item", f"is missing {len(missing)} of the {_short(instrument)}'s {len(mapping.items)} items: {', '.join(missing)}")
    return [_rating(answers[link][1], mapping, mapping.answers, answers[link][0], instrument) for link in mapping.items]


def _rating(value: Mapping[str, Any], mapping: FhirMapping, codes: tuple[str, ...], path: str, instrument: Instrument) -> int:
    """One answer as a rating: a LOINC answer code of the mapping, or a whole number in range."""
    top = mapping.low + len(codes) - 1 if codes else mapping.top
    if "valueCoding" in value:
        coding = value["valueCoding"]
        code = coding.get("code") if isinstance(coding, dict) else None
        system = coding.get("system") if isinstance(coding, dict) else None
        if codes and code in codes and system in (None, systems.LOINC):
            return mapping.low + codes.index(code)
        expected = f"one of {', '.join(codes)} (LOINC)" if codes else f"a whole number {mapping.low}-{top} (valueInteger)"
        raise _Refusal(f"{path}.valueCoding", f"is not an answer of the {_short(instrument)}; expected {expected}")
    if "valueInteger" in value:
        rating = value["valueInteger"]
        if isinstance(rating, int) and not isinstance(rating, bool) and mapping.low <= rating <= top:
            return rating
        raise _Refusal(f"{path}.valueInteger", f"is out of range; expected a whole number from {mapping.low} to {top}")
    raise _Refusal(path, "expected valueCoding (a LOINC answer code) or valueInteger")


def _number(value: Mapping[str, Any], path: str) -> float:
    for key in ("valueInteger", "valueDecimal"):
        if key in value and isinstance(value[key], (int, float)) and not isinstance(value[key], bool):
            return value[key]
    if isinstance(value.get("valueQuantity"), dict) and isinstance(value["valueQuantity"].get("value"), (int, float)):
        return value["valueQuantity"]["value"]
    raise _Refusal(path, "expected a number (valueInteger, valueDecimal or valueQuantity)")


def _date(value: Any, path: str) -> str:
    match = _DATE.match(value) if isinstance(value, str) else None
    if match:
        try:
            return dt.date.fromisoformat(match.group(1)).isoformat()
        except ValueError:
            pass
    raise _Refusal(path, "expected the date the answers were given (YYYY-MM-DD, or a dateTime)")


def _short(instrument: Instrument) -> str:
    from ..measures import short_name

    return short_name(instrument)


# -- Observations -----------------------------------------------------------------------------


def _codes(concept: Any) -> list[str]:
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    return [c["code"] for c in concept["coding"] if isinstance(c, dict) and c.get("system") == systems.LOINC and isinstance(c.get("code"), str)]


def _score_of(resource: Mapping[str, Any], mappings: Mapping[str, Instrument]) -> tuple[Instrument, str] | None:
    codes = _codes(resource.get("code"))
    for instrument in mappings.values():
        for score, code in (instrument.fhir.scores if instrument.fhir else {}).items():
            if code in codes:
                return instrument, score
    return None


def _from_panel(resource: dict[str, Any], mappings: Mapping[str, Instrument], index: _Index) -> Administration:
    if resource.get("status") not in DONE_OBSERVATION:
        raise _Refusal("status", "expected 'final', 'amended' or 'corrected'")
    codes = _codes(resource.get("code"))
    instrument = next((i for i in mappings.values() if i.fhir and i.fhir.form in codes), None)
    if instrument is None:
        known = ", ".join(f"{i.fhir.form} ({_short(i)}) or score {', '.join(i.fhir.scores.values())}" for i in mappings.values() if i.fhir and i.fhir.form)
        raise _Refusal("code", f"is not a panel or score txplan knows; expected a LOINC code of an installed instrument: {known}")
    mapping = instrument.fhir
    assert mapping is not None
    date = _date(resource.get("effectiveDateTime"), "effectiveDateTime")
    answers: dict[str, tuple[str, dict[str, Any]]] = {}
    parts: list[tuple[str, Any]] = [(f"component[{n}]", c) for n, c in enumerate(resource.get("component") or [])]
    for number, member in enumerate(resource.get("hasMember") or []):
        target = index.resolve(member)
        if target is None:
            raise _Refusal(f"hasMember[{number}]", "does not resolve to an Observation in the bundle")
        parts.append((f"hasMember[{number}]", target))
    for path, part in parts:
        if not isinstance(part, dict):
            raise _Refusal(path, "expected an item with a code and a value")
        for code in _codes(part.get("code")):
            if code in answers:
                raise _Refusal(f"{path}.code", "answers the same item twice")
            value = {"valueCoding": part["valueCodeableConcept"]["coding"][0]} if _coded(part) else part
            answers[code] = (path, value)
    ratings = _ratings(instrument, answers)
    extras = {}
    for name, (link, item_codes) in mapping.extras.items():
        if link in answers:
            extras[name] = _rating(answers[link][1], mapping, item_codes, answers[link][0], instrument)
    return Administration(instrument, date, ratings, extras, _label(resource))


def _coded(part: Mapping[str, Any]) -> bool:
    concept = part.get("valueCodeableConcept")
    return isinstance(concept, dict) and isinstance(concept.get("coding"), list) and bool(concept["coding"]) and isinstance(concept["coding"][0], dict)


def _attach_score(resource: dict[str, Any], mappings: Mapping[str, Instrument], index: _Index, results: dict[int, Administration], where: str) -> None:
    """A score Observation is kept only as a check on the answers it was derived from."""
    found = _score_of(resource, mappings)
    assert found is not None
    instrument, score = found
    sources = [index.resolve(r) for r in resource.get("derivedFrom") or [] if isinstance(resource.get("derivedFrom"), list)]
    administration = next((results[id(s)] for s in sources if s is not None and id(s) in results), None)
    if administration is None:
        raise _Refusal(
            "code", f"is the {_short(instrument)} {score} score alone; txplan records an administration from its answers (send the QuestionnaireResponse it is derivedFrom)"
        )
    administration.claimed.append((score, _number(resource, "value[x]"), f"{where}.value[x]"))


def _check_claims(administration: Administration, source: str) -> list[Problem]:
    """Scores sent with the answers must equal what txplan computes from them."""
    if not administration.claimed:
        return []
    computed = administration.instrument.score(administration.entry()).scores
    return [
        Problem(source, None, where, f"{administration.source}: the {score} score sent differs from the one computed from its answers")
        for score, value, where in administration.claimed
        if computed.get(score) != value
    ]


def round_trip_problems(instrument: Instrument, administration: Mapping[str, Any]) -> list[str]:
    """For plugin authors' tests: an administration written as a QuestionnaireResponse and read
    back must give the same entry (empty list when it does, or when there is no form to write)."""
    from .export import form_of, questionnaire_response

    if form_of(instrument) is None:
        return []
    entry = {"instrument": instrument.id, "date": "2000-01-01", **administration}
    patient = {"identifier": {"value": "conformance"}}
    try:
        response = questionnaire_response(instrument, entry, patient)
        found, _ = administrations({**response, "subject": patient}, {instrument.id: instrument}, "conformance", "<round trip>")
    except (PlanError, LookupError, TypeError, ValueError) as exc:
        lines = [str(p) for p in getattr(exc, "problems", [])] or [f"{type(exc).__name__}: {exc}"]
        return [f"FHIR round trip fails: {line}" for line in lines]
    expected = {k: v for k, v in entry.items() if k in ("instrument", "date", instrument.data_key, *(instrument.fhir.extras if instrument.fhir else {}))}
    if [a.entry() for a in found] != [expected]:
        return ["FHIR round trip gives other answers than were written (check items, answers and low/high)"]
    return []
