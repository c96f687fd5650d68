"""Cross-field rules for the plan over time: what each review records, and what a discharge
refers to. (That revisions and a discharge do not fall before the plan's start is checked with
the plan's other dates, in :mod:`txplan.crossfield`.) Messages name fields and lines, never
values."""

from __future__ import annotations

from typing import Any

from .datafile import LocatedData
from .errors import Problem
from .fieldpath import PathTuple

#: The message for a review that records no changes, shared by ``validate`` (a warning) and the
#: review document (which cannot be written from it).
NO_CHANGES = (
    "this review records no changes: list what it changed or found under 'changes' "
    "(goal or objective, and added, revised, continued, met, partially_met, not_met or discontinued)"
)


def problems(plan: LocatedData, goal_ids: set[str], objective_ids: set[str]) -> list[Problem]:
    """Problems in ``revisions[].changes`` and ``discharge``: a change names one goal or one
    objective that the plan defines; a review without changes is a warning; a discharge's goal
    outcomes name the plan's goals, each once."""
    out: list[Problem] = []
    data = plan.data
    for rpath, revision in _items(data, "revisions"):
        changes = revision.get("changes")
        if changes is None:
            out.append(plan.problem((*rpath, "summary"), NO_CHANGES, "warning"))
        for cpath, change in _items(revision, "changes", rpath):
            _change(plan, cpath, change, goal_ids, objective_ids, out)
    discharge = data.get("discharge")
    if isinstance(discharge, dict):
        seen: set[str] = set()
        for opath, outcome in _items(discharge, "goals", ("discharge",)):
            goal = outcome.get("goal")
            if not isinstance(goal, str):
                continue
            if goal_ids and goal not in goal_ids:
                out.append(plan.problem((*opath, "goal"), "names no goal defined in this plan (no goal has this id)"))
            elif goal in seen:
                out.append(plan.problem((*opath, "goal"), "this goal's outcome is given twice"))
            seen.add(goal)
    return out


def _change(plan: LocatedData, path: PathTuple, change: dict[str, Any], goal_ids: set[str], objective_ids: set[str], out: list[Problem]) -> None:
    has_goal, has_objective = "goal" in change, "objective" in change
    if has_goal == has_objective:
        out.append(plan.problem(path, "a change names either a goal or an objective (one of the two)"))
        return
    key, known, kind = ("goal", goal_ids, "goal") if has_goal else ("objective", objective_ids, "objective")
    if isinstance(change[key], str) and known and change[key] not in known:
        out.append(plan.problem((*path, key), f"names no {kind} defined in this plan (no {kind} has this id)"))


def _items(container: Any, key: str, base: PathTuple = ()) -> list[tuple[PathTuple, dict[str, Any]]]:
    values = container.get(key) if isinstance(container, dict) else None
    if not isinstance(values, list):
        return []
    return [((*base, key, i), item) for i, item in enumerate(values) if isinstance(item, dict)]
