"""Rules across fields that a JSON Schema cannot express: ids that must exist or be unique, and
dates that must come in order. Written defensively, since they also run on plans with schema
errors (so that every problem is reported at once). Messages name fields and lines, never the
plan's values (ids and dates included): the field path and line say where to look."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from . import timeline
from .contracts import Instrument
from .datafile import LocatedData
from .errors import Problem
from .fieldpath import PathTuple
from .plan_data import entries, iso_date


def cross_field_problems(plan: LocatedData, instruments: Mapping[str, Instrument] | None = None) -> list[Problem]:
    """Every cross-field problem in ``plan`` (errors and warnings); ``instruments`` are the
    registered ones, against which objectives' measures are checked."""
    data = plan.data
    out: list[Problem] = []
    goal_ids = _unique_ids(plan, "goals", entries(data, "goals"), out)
    objective_ids = _unique_ids(
        plan,
        "objective",
        ((path, objective) for gpath, goal in entries(data, "goals") for path, objective in entries(goal, "objectives", gpath)),
        out,
    )
    issue_ids = _unique_ids(plan, "presenting issue", entries(data, "presenting_issues"), out)
    _unique_ids(plan, "intervention", entries(data, "interventions"), out)

    # References are checked only where what they refer to is there at all: a plan with no
    # goals gets one 'required field is missing', not one error per reference.
    served: set[str] = set()
    for path, intervention in entries(data, "interventions"):
        if entries(data, "goals"):
            served.update(_references(plan, intervention, "goals", path, goal_ids, "goal", out))
            _references(plan, intervention, "objectives", path, objective_ids, "objective", out)
    for path, goal in entries(data, "goals"):
        if entries(data, "presenting_issues"):
            _references(plan, goal, "addresses", path, issue_ids, "presenting issue", out)
        if isinstance(goal.get("id"), str) and goal["id"] not in served and entries(data, "interventions"):
            out.append(plan.problem((*path, "id"), "this goal is not served by any intervention; list its id in an intervention's goals", "warning"))

    _dates(plan, out)
    out.extend(timeline.problems(plan, goal_ids, objective_ids))
    _measures(plan, instruments or {}, out)
    primaries = [path for path, diagnosis in entries(data, "diagnoses") if diagnosis.get("primary") is True]
    for path in primaries[1:]:
        out.append(plan.problem((*path, "primary"), "only one diagnosis can be primary"))
    return out


def _measures(plan: LocatedData, instruments: Mapping[str, Instrument], out: list[Problem]) -> None:
    """An objective's measure must name a score its instrument gives; a warning when the plan
    has no administration of that instrument yet."""
    given = {a.get("instrument") for _, a in entries(plan.data, "assessments")}
    for gpath, goal in entries(plan.data, "goals"):
        for opath, objective in entries(goal, "objectives", gpath):
            measure = objective.get("measure")
            if not isinstance(measure, dict) or measure.get("instrument") not in instruments:
                continue
            instrument = instruments[measure["instrument"]]
            scores = list(instrument.score_labels)
            if measure.get("score") not in scores:
                known = ", ".join(scores) if scores else "none: it gives no numeric score"
                out.append(plan.problem((*opath, "measure", "score"), f"{instrument.id} has no such score (its scores: {known})"))
            elif measure["instrument"] not in given:
                out.append(plan.problem((*opath, "measure", "instrument"), f"the plan has no {instrument.id} administration yet, so this objective cannot be measured", "warning"))


def _unique_ids(plan: LocatedData, kind: str, items: Any, out: list[Problem]) -> set[str]:
    kind = {"goals": "goal"}.get(kind, kind)
    seen: dict[str, int | None] = {}
    for path, item in items:
        ident = item.get("id")
        if not isinstance(ident, str):
            continue
        if ident in seen:
            first = f" (first on line {seen[ident]})" if seen[ident] is not None else ""
            out.append(plan.problem((*path, "id"), f"this {kind} id is used twice{first}"))
        else:
            seen[ident] = plan.line_of((*path, "id"))
    return set(seen)


def _references(plan: LocatedData, item: dict[str, Any], key: str, path: PathTuple, known: set[str], kind: str, out: list[Problem]) -> set[str]:
    refs = item.get(key)
    if not isinstance(refs, list):
        return set()
    for index, ref in enumerate(refs):
        if isinstance(ref, str) and ref not in known:
            out.append(plan.problem((*path, key, index), f"names no {kind} defined in this plan (no {kind} has this id)"))
    return {r for r in refs if isinstance(r, str)}


def _dated(data: dict[str, Any]) -> Iterator[tuple[PathTuple, dt.date, str]]:
    """Dates that must not fall before the plan's start, with what each one is."""
    plan_block = block if isinstance(block := data.get("plan"), dict) else {}
    end = iso_date(plan_block.get("end_date"))
    if end:
        yield ("plan", "end_date"), end, "end date"
    for gpath, goal in entries(data, "goals"):
        for opath, objective in entries(goal, "objectives", gpath):
            target = iso_date(objective.get("target_date"))
            if target:
                yield (*opath, "target_date"), target, "target date"
    for rpath, revision in entries(data, "revisions"):
        when = iso_date(revision.get("date"))
        if when:
            yield (*rpath, "date"), when, "revision date"
    discharge = data.get("discharge")
    when = iso_date(discharge.get("date")) if isinstance(discharge, dict) else None
    if when:
        yield ("discharge", "date"), when, "discharge date"
    reviews = data.get("review_dates")
    if isinstance(reviews, list):
        for index, value in enumerate(reviews):
            review = iso_date(value)
            if review:
                yield ("review_dates", index), review, "review date"


def _dates(plan: LocatedData, out: list[Problem]) -> None:
    data = plan.data
    plan_block = block if isinstance(block := data.get("plan"), dict) else {}
    start = iso_date(plan_block.get("start_date"))
    if start is None:
        return
    start_line = plan.line_of(("plan", "start_date"))
    start_at = f" (plan.start_date, line {start_line})" if start_line is not None else " (plan.start_date)"
    for path, value, what in _dated(data):
        if value < start:
            out.append(plan.problem(path, f"the {what} is before the plan's start date{start_at}"))
    client = block if isinstance(block := data.get("client"), dict) else {}
    born = iso_date(client.get("date_of_birth"))
    if born and born > start:
        out.append(plan.problem(("client", "date_of_birth"), f"the date of birth is after the plan's start date{start_at}"))
