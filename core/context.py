"""Build the render context templates see: the plan with every optional field present, plus
values derived once in Python so that templates stay simple (display names of library
interventions, instrument results, progress and alerts, the interventions serving each goal, the
issues each goal addresses)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from . import measures
from .charts import build_charts
from .contracts import Instrument, InterventionLibrary


def build_context(
    data: Mapping[str, Any],
    schema: Mapping[str, Any],
    labels: Mapping[str, Any],
    instruments: Mapping[str, Instrument],
    libraries: Mapping[str, InterventionLibrary],
    practice: Mapping[str, Any] | None = None,
    as_of: dt.date | None = None,
) -> dict[str, Any]:
    """The context for a valid plan: ``plan`` (the data, completed and with derived values),
    ``labels`` (the pack's headings), ``title``, ``letterhead`` (the plan's practice block,
    overridden by the pack's ``practice`` identity where it gives one), and ``as_of`` (the date
    the document states objectives' status at; today unless given), and ``charts`` (what each
    score chart shows, by instrument id; :mod:`txplan.charts`)."""
    as_of = as_of or dt.date.today()
    plan = complete(dict(data), schema, schema)
    entries = {f"{lib.namespace}.{entry.id}": entry for lib in libraries.values() for entry in lib.entries}
    for intervention in plan["interventions"]:
        entry = entries.get(intervention.get("library") or "")
        intervention["display_name"] = intervention.get("name") or (entry.name if entry else intervention.get("library"))
        intervention["display_description"] = intervention.get("description") or (entry.description if entry else None)
        intervention["rationale"] = entry.rationale if entry and entry.rationale else None
        intervention["library_name"] = libraries[intervention["library"].split(".")[0]].name if entry else None
        intervention["frequency"] = intervention.get("frequency") or (entry.frequency if entry else None)
    assessments = plan["assessments"]
    measures.add_results(assessments, instruments)
    plan["alerts"] = measures.alerts(assessments, instruments)
    plan["progress"] = measures.progress(assessments, instruments)
    plan["instrument_notes"] = measures.notes(assessments, instruments)
    for goal in plan["goals"]:
        for objective in goal["objectives"]:
            objective["measure_status"] = measures.objective_status(objective, assessments, instruments)
            objective["target_passed"] = target_passed(objective, as_of)
    charts = build_charts(assessments, instruments, plan["goals"], labels)
    for table in plan["progress"]:
        table["chart"] = charts.get(table["id"])
    plan["attestation"] = attestation(plan["signatures"])
    for revision in plan["revisions"]:
        revision["attestation"] = attestation(revision["signatures"])
    plan["revisions"] = sorted(plan["revisions"], key=lambda r: r["date"])
    plan["primary_diagnosis"] = next((d for d in plan["diagnoses"] if d.get("primary")), plan["diagnoses"][0] if len(plan["diagnoses"]) == 1 else None)
    issues = {issue["id"]: issue for issue in plan["presenting_issues"] if issue.get("id")}
    for goal in plan["goals"]:
        goal["served_by"] = [i for i in plan["interventions"] if goal["id"] in (i.get("goals") or [])]
        goal["addressed_issues"] = [issues[ref] for ref in goal.get("addresses") or [] if ref in issues]
    letterhead = {**plan["practice"], **{k: v for k, v in (practice or {}).items() if v}}
    return {"plan": plan, "labels": labels, "title": labels.get("title", "Treatment plan"), "letterhead": letterhead, "as_of": as_of.isoformat(), "charts": charts}


#: Statuses that close an objective: a passed target date says nothing new about these.
CLOSED_STATUSES = frozenset({"met", "partially_met", "not_met", "discontinued"})


def target_passed(objective: Mapping[str, Any], as_of: dt.date) -> bool:
    """Whether an objective's target date is before ``as_of`` while the objective is still open:
    not recorded as met, partly met, not met or discontinued, and, for a measured objective, not
    met by its latest administration. The document then says so instead of "In progress"."""
    target = objective.get("target_date")
    if not target or dt.date.fromisoformat(target) >= as_of:
        return False
    measured = objective.get("measure_status")
    if measured:
        return measured["state"] != "met"
    return objective.get("status") not in CLOSED_STATUSES


def attestation(signatures: Mapping[str, Any] | None) -> dict[str, str]:
    """What a set of signatures supports saying, so a document never claims more than the data:
    ``client`` is ``agreed`` (signed and dated), ``declined`` (a reason is recorded) or
    ``unsigned``; ``clinician`` and ``supervisor`` are ``signed`` or ``unsigned``."""
    signatures = signatures or {}

    def signed(who: str) -> bool:
        return bool((signatures.get(who) or {}).get("date"))

    client = signatures.get("client") or {}
    state = "agreed" if client.get("date") else "declined" if client.get("declined_reason") else "unsigned"
    return {
        "client": state,
        "clinician": "signed" if signed("clinician") else "unsigned",
        "supervisor": "signed" if signed("supervisor") else "unsigned",
    }


def complete(value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    """A copy of ``value`` with the optional fields it leaves out filled in, as the schema
    declares them: a missing list becomes ``[]``, a missing block whose fields are all optional
    becomes that block with its fields empty, anything else missing becomes ``None``. Templates
    can then write ``{% if plan.therapy.frequency %}`` without tripping ``StrictUndefined``,
    which still catches misspelled names. The plan itself is never changed."""
    schema = _resolve(schema, root)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        out = {name: complete(item, properties[name], root) if name in properties else _copy(item) for name, item in value.items()}
        for name, sub in properties.items():
            if name in out or name.startswith("$"):
                continue
            sub = _resolve(sub, root)
            if sub.get("type") == "array":
                out[name] = []
            elif sub.get("type") == "object" and not sub.get("required") and "properties" in sub:
                out[name] = complete({}, sub, root)
            else:
                out[name] = None
        return out
    if isinstance(value, list):
        items = schema.get("items")
        return [complete(item, items, root) if isinstance(items, Mapping) else _copy(item) for item in value]
    return value


def _copy(value: Any) -> Any:
    """A deep copy of plain plan data (dicts, lists and scalars)."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return root["$defs"][ref.split("/")[-1]]
    return schema
