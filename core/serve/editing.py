"""What the editor computes from a form's data, through the Python API: the problems (the CLI's
own messages, each with its field path), each administration's score, band and flags, the
progress tables and the status of measured objectives; and the list operations (add, remove,
move, pick a library entry) that change the form's shape."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ..contracts import InterventionEntry
from ..errors import PlanError, Problem
from ..fieldpath import PathTuple, format_path
from ..loader import Plan, plan_from_data
from ..measures import add_results, number, objective_status, progress
from ..pipeline import Engine
from .forms import FormError, SchemaView, parse_path


class BadOperation(ValueError):
    """An edit operation no page of this app sends."""


@dataclass
class Evaluation:
    """The live state of a plan being edited."""

    plan: Plan | None
    problems: list[dict[str, Any]] = field(default_factory=list)
    scores: dict[int, dict[str, Any]] = field(default_factory=dict)
    progress: list[dict[str, Any]] = field(default_factory=list)
    objectives: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        """How many problems are errors."""
        return sum(p["severity"] == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        """How many problems are warnings."""
        return len(self.problems) - self.errors


def evaluate(engine: Engine, data: dict[str, Any], name: str) -> Evaluation:
    """Validate ``data`` as the command line validates a file named ``name``, and score what can
    be scored (an administration with an error in it is not)."""
    try:
        plan = plan_from_data(data, name)  # it copies: the form's data is never changed
    except PlanError as exc:
        return Evaluation(None, [_problem(p) for p in exc.problems])
    problems = engine.validate(plan)
    result = Evaluation(plan, [_problem(p) for p in problems])
    bad = {p.path for p in problems if p.severity == "error"}
    assessments = plan.data.get("assessments")
    if not isinstance(assessments, list):
        return result
    instruments = engine.host.instruments
    scorable = []
    for index, assessment in enumerate(assessments):
        prefix = f"assessments[{index}]"
        if not isinstance(assessment, dict) or assessment.get("instrument") not in instruments:
            continue
        if any(path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[") for path in bad):
            continue
        entry = copy.deepcopy(assessment)
        add_results([entry], instruments)
        instrument = instruments[assessment["instrument"]]
        outcome = entry["score_result"]
        result.scores[index] = {
            "scores": [(instrument.label(k), number(v)) for k, v in outcome.scores.items()],
            "severity": outcome.severity,
            "flags": entry["flags"],
            "summary": outcome.summary,
        }
        if isinstance(entry.get("date"), str) and f"{prefix}.date" not in bad:
            scorable.append(entry)
    result.progress = progress(scorable, instruments)
    for goal_index, goal in enumerate(plan.data.get("goals") or []):
        for objective_index, objective in enumerate(goal.get("objectives") or [] if isinstance(goal, dict) else []):
            path = f"goals[{goal_index}].objectives[{objective_index}]"
            if isinstance(objective, dict) and isinstance(objective.get("measure"), dict) and not any(p.startswith(path + ".measure") for p in bad):
                try:
                    status = objective_status(objective, scorable, instruments)
                except (KeyError, TypeError):
                    status = None
                if status:
                    result.objectives[path] = status
    return result


def _problem(problem: Problem) -> dict[str, Any]:
    return {"text": str(problem), "path": problem.path, "severity": problem.severity, "message": problem.message}


# -- list operations ----------------------------------------------------------------------------


def apply(operation: str, data: dict[str, Any], view: SchemaView, engine: Engine) -> tuple[dict[str, Any], str]:
    """Apply one operation (``add:PATH``, ``remove:PATH``, ``up:PATH``, ``down:PATH``,
    ``library:PATH:ENTRY``, ``refresh``) to ``data``; returns the data and the path to focus."""
    verb, _, rest = operation.partition(":")
    if verb == "refresh":
        return data, rest
    if verb == "library":
        target, _, entry = rest.partition(":")
        index = intervention_index(target)
        if entry not in engine.schema["$defs"]["intervention"]["properties"]["library"].get("enum", []):
            raise BadOperation("not a library entry")
        interventions = data.setdefault("interventions", [])
        while len(interventions) <= index:
            interventions.append({})
        interventions[index]["library"] = entry
        return data, f"interventions[{index}].application"
    try:
        path = parse_path(rest)
    except FormError as exc:
        raise BadOperation(str(exc)) from None
    if verb == "add":
        items = _container(data, path, create=True)
        node = _schema_at(view, data, path)
        owner = _owner_id(data, path)
        items.append(_new_item(view.resolve(node.get("items", {})), path, items, owner))
        return data, format_path((*path, len(items) - 1))
    if verb in ("remove", "up", "down"):
        if not path or not isinstance(path[-1], int):
            raise BadOperation("not a list item")
        items = _container(data, path[:-1], create=False)
        index = path[-1]
        if index >= len(items):
            raise BadOperation("no such list item")
        if verb == "remove":
            del items[index]
            return data, format_path(path[:-1])
        other = index - 1 if verb == "up" else index + 1
        if 0 <= other < len(items):
            items[index], items[other] = items[other], items[index]
            index = other
        return data, format_path((*path[:-1], index))
    raise BadOperation("unknown operation")


def intervention_index(target: str) -> int:
    """The index in ``interventions[N]``; :class:`BadOperation` for anything else."""
    try:
        path = parse_path(target)
    except FormError:
        raise BadOperation("not an intervention") from None
    if len(path) != 2 or path[0] != "interventions" or not isinstance(path[1], int):
        raise BadOperation("not an intervention")
    return path[1]


def _container(data: dict[str, Any], path: PathTuple, *, create: bool) -> list[Any]:
    node: Any = data
    for depth, key in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(node, dict) and isinstance(key, str):
            if key not in node:
                if not create:
                    raise BadOperation("no such list")
                node[key] = [] if last else ({} if isinstance(path[depth + 1], str) else [])
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            raise BadOperation("no such list")
    if not isinstance(node, list):
        raise BadOperation("not a list")
    return node


def _schema_at(view: SchemaView, data: dict[str, Any], path: PathTuple) -> Any:
    node: Any = view.schema
    value: Any = data
    for key in path:
        node = view.child(node, key, value)
        if isinstance(value, dict) and _has(value, key):
            value = value[key]
        elif isinstance(value, list) and isinstance(key, int) and _has(value, key):
            value = value[key]
        else:
            value = None
    return view.resolve(node)


def _has(value: Any, key: str | int) -> bool:
    return key in value if isinstance(value, dict) else isinstance(key, int) and key < len(value)


def _owner_id(data: dict[str, Any], path: PathTuple) -> str:
    """The id of the item holding the list at ``path`` (a goal's id for its objectives)."""
    node: Any = data
    for key in path[:-1]:
        node = node[key] if _has(node, key) else None
        if node is None:
            return ""
    return node.get("id", "") if isinstance(node, dict) and isinstance(node.get("id"), str) else ""


def _new_item(node: Any, path: PathTuple, siblings: list[Any], owner: str = "") -> Any:
    """A new, empty list item; a goal, objective or intervention gets the next free id."""
    kind = node.get("type")
    if kind == "object":
        item: dict[str, Any] = {}
        if "id" in node.get("properties", {}):
            item["id"] = _next_id(path, siblings, owner)
        if path[-1:] == ("goals",):
            item["objectives"] = [{"id": f"{item['id']}.1"}]
        return item
    if kind in ("integer", "number"):
        return None
    return ""


def _next_id(path: PathTuple, siblings: list[Any], owner: str) -> str:
    taken = {item.get("id") for item in siblings if isinstance(item, dict)}
    if path[-1:] == ("objectives",):
        prefix = f"{owner}." if owner else "O"
    else:
        prefix = {"goals": "G", "interventions": "I", "presenting_issues": "P"}.get(str(path[-1]), "")
    number_ = len(siblings) + 1
    while f"{prefix}{number_}" in taken:
        number_ += 1
    return f"{prefix}{number_}" if prefix else f"item{number_}"


# -- library picker ---------------------------------------------------------------------------------


def library_entries(engine: Engine, words: list[str]) -> list[dict[str, str]]:
    """Library entries whose id, name or description holds every one of ``words``."""
    found = []
    for namespace, library in sorted(engine.libraries.items()):
        for entry in library.entries:
            reference = f"{namespace}.{entry.id}"
            haystack = f"{reference} {entry.name} {entry.description} {library.name}".lower()
            if all(word in haystack for word in words):
                found.append(_entry(reference, library.name, entry))
    return found


def _entry(reference: str, library_name: str, entry: InterventionEntry) -> dict[str, str]:
    return {"reference": reference, "library": library_name, "name": entry.name, "description": entry.description, "frequency": entry.frequency}
