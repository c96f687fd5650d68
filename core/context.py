"""Build the render context templates see: the plan with every optional field present, plus
values derived once in Python so that templates stay simple (display names of library
interventions, instrument results, progress and alerts, the interventions serving each goal, the
issues each goal addresses)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import measures
from .contracts import Instrument, InterventionLibrary


def build_context(
    data: Mapping[str, Any],
    schema: Mapping[str, Any],
    labels: Mapping[str, Any],
    instruments: Mapping[str, Instrument],
    libraries: Mapping[str, InterventionLibrary],
    practice: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The context for a valid plan: ``plan`` (the data, completed and with derived values),
    ``labels`` (the pack's headings), ``title``, and ``letterhead`` (the plan's practice block,
    overridden by the pack's ``practice`` identity where it gives one)."""
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
    issues = {issue["id"]: issue for issue in plan["presenting_issues"] if issue.get("id")}
    for goal in plan["goals"]:
        goal["served_by"] = [i for i in plan["interventions"] if goal["id"] in (i.get("goals") or [])]
        goal["addressed_issues"] = [issues[ref] for ref in goal.get("addresses") or [] if ref in issues]
    letterhead = {**plan["practice"], **{k: v for k, v in (practice or {}).items() if v}}
    return {"plan": plan, "labels": labels, "title": labels.get("title", "Treatment plan"), "letterhead": letterhead}


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
