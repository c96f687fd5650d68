"""Carry a plan into its next period (``txplan renew``).

What is carried: client, clinician, practice, presenting issues, strengths, diagnoses, therapy,
progress monitoring, discharge criteria, the interventions that still serve a carried goal, the
latest administration of each instrument (the new period's baselines), a safety plan and risk
assessment. What is closed: met and discontinued objectives (and goals left with none), kept as
history under ``renewal.closed``. What is proposed: the new period (from the old end date, as
long as the old period), target dates already passed (moved to the new end), review dates at the
old period's review interval, baselines of measured objectives from the latest administration.
What is left out: signatures, revisions, session dates, the discharge, and the medical-necessity
statement (it must be written for the new period). Every proposal and omission the clinician must
decide on is listed under ``renewal.to_decide``, which ``txplan check`` reports field by field.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Mapping
from typing import Any

from . import measures
from .durations import Duration

#: Objective statuses that close an objective at renewal.
CLOSING = frozenset({"met", "discontinued"})
#: Sections carried unchanged, in the order they are written.
CARRIED = ("client", "clinician", "practice", "presenting_issues", "strengths", "diagnoses")
CARRIED_AFTER = ("therapy", "progress_monitoring")


def renew(data: Mapping[str, Any], instruments: Mapping[str, Any]) -> dict[str, Any]:
    """The next period's plan from ``data`` (a valid plan): see the module's description."""
    old_start = dt.date.fromisoformat(data["plan"]["start_date"])
    old_end = dt.date.fromisoformat(data["plan"]["end_date"]) if data["plan"].get("end_date") else None
    start = old_end or dt.date.today()
    end = _period_end(old_start, old_end, start)
    to_decide: list[dict[str, str]] = []
    new: dict[str, Any] = {key: copy.deepcopy(data[key]) for key in CARRIED if key in data}
    new["plan"] = {**copy.deepcopy(data["plan"]), "start_date": start.isoformat(), "end_date": end.isoformat()}
    to_decide.append({"path": "plan.end_date", "what": f"the new period is proposed as {start.isoformat()} to {end.isoformat()}, as long as the last one: confirm it"})

    latest = _latest_administrations(data)
    if latest:
        new["assessments"] = latest
    scored = [dict(a) for a in latest]
    measures.add_results(scored, instruments)

    closed: list[dict[str, str]] = []
    goals: list[dict[str, Any]] = []
    for goal in data["goals"]:
        objectives: list[dict[str, Any]] = []
        for objective in goal["objectives"]:
            state = _state(objective, data, instruments)
            if state in CLOSING:
                closed.append({"goal": goal["id"], "objective": objective["id"], "description": objective["description"], "status": state})
                continue
            objectives.append(_carried_objective(objective, len(goals), len(objectives), start, end, scored, instruments, to_decide))
        if objectives:
            goals.append({**copy.deepcopy(goal), "objectives": objectives})
    if not goals:
        # Every objective closed: the plan needs new goals; the old ones are kept to rewrite.
        goals = [copy.deepcopy(g) for g in data["goals"]]
        to_decide.append({"path": "goals", "what": "every objective was met or discontinued: write this period's goals and objectives, or discharge instead"})
    new["goals"] = goals
    kept_goals = {g["id"] for g in goals}
    interventions = []
    for intervention in data["interventions"]:
        served = [g for g in intervention["goals"] if g in kept_goals]
        if served:
            kept_objectives = {o["id"] for g in goals for o in g["objectives"]}
            carried = {**copy.deepcopy(intervention), "goals": served}
            if "objectives" in intervention:
                carried["objectives"] = [o for o in intervention["objectives"] if o in kept_objectives]
                if not carried["objectives"]:
                    del carried["objectives"]
            interventions.append(carried)
    new["interventions"] = interventions
    for key in CARRIED_AFTER:
        if key in data:
            new[key] = copy.deepcopy(data[key])
    reviews = _review_dates(data, old_start, start, end)
    if reviews:
        new["review_dates"] = reviews
        to_decide.append({"path": "review_dates", "what": "review dates are proposed at the last period's interval: confirm them"})
    for key in ("discharge_criteria", "safety_plan", "risk_assessment"):
        if key in data:
            new[key] = copy.deepcopy(data[key])
    to_decide.append({"path": "medical_necessity", "what": "write the medical-necessity statement for this period (symptoms, impairment, services, expected improvement): it is not carried forward"})
    renewal: dict[str, Any] = {"previous_period": {k: v for k, v in (("start_date", old_start.isoformat()), ("end_date", old_end.isoformat() if old_end else None)) if v}}
    if closed:
        renewal["closed"] = closed
    renewal["to_decide"] = to_decide
    new["renewal"] = renewal
    return new


def _period_end(old_start: dt.date, old_end: dt.date | None, start: dt.date) -> dt.date:
    """As long as the old period: in calendar months when it ran whole months, else in days;
    a year when the old plan gave no end."""
    if old_end is None:
        return Duration(12, "month").after(start)
    months = (old_end.year - old_start.year) * 12 + old_end.month - old_start.month
    if old_end.day == old_start.day and months > 0:
        return Duration(months, "month").after(start)
    return start + (old_end - old_start)


def _latest_administrations(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for assessment in sorted(data.get("assessments") or [], key=lambda a: a["date"]):
        key = assessment["instrument"] if assessment["instrument"] != "custom" else f"custom:{assessment.get('name')}"
        latest[key] = assessment
    return [copy.deepcopy(a) for a in sorted(latest.values(), key=lambda a: a["date"])]


def _state(objective: Mapping[str, Any], data: Mapping[str, Any], instruments: Mapping[str, Any]) -> str:
    if objective.get("measure"):
        assessments = [dict(a) for a in data.get("assessments") or []]
        measures.add_results(assessments, instruments)
        status = measures.objective_status(dict(objective), assessments, instruments)
        if status and status["state"] == "met":
            return "met"
    return str(objective.get("status") or "not_started")


def _carried_objective(
    objective: Mapping[str, Any], goal_index: int, index: int, start: dt.date, end: dt.date, scored: list[dict[str, Any]], instruments: Mapping[str, Any], to_decide: list[dict[str, str]]
) -> dict[str, Any]:
    path = f"goals[{goal_index}].objectives[{index}]"
    carried = copy.deepcopy(dict(objective))
    if carried.get("status") in ("partially_met", "not_met"):
        carried["status"] = "in_progress"
        to_decide.append({"path": f"{path}.status", "what": "recorded as partly met or not met last period and carried as in progress: confirm it"})
    if dt.date.fromisoformat(carried["target_date"]) <= start:
        carried["target_date"] = end.isoformat()
        to_decide.append({"path": f"{path}.target_date", "what": "the target date had passed and is proposed as the new period's end: set it"})
    measure = carried.get("measure")
    given = [a for a in scored if measure and a["instrument"] == measure["instrument"] and a.get("score_result") and measure["score"] in a["score_result"].scores]
    if given and measure:
        latest = given[-1]
        instrument = instruments[measure["instrument"]]
        value = measures.number(latest["score_result"].scores[measure["score"]])
        carried["baseline"] = f"{measures.short_name(instrument)} {instrument.label(measure['score'])} {value} on {latest['date']} (latest administration)."
    else:
        to_decide.append({"path": f"{path}.baseline", "what": "the baseline is carried from the last period: update it to where the client is now"})
    return carried


def _review_dates(data: Mapping[str, Any], old_start: dt.date, start: dt.date, end: dt.date) -> list[str]:
    """Review dates in the new period at the old period's first review interval."""
    reviews = sorted(dt.date.fromisoformat(d) for d in data.get("review_dates") or [])
    if not reviews:
        return []
    interval = max((reviews[0] - old_start).days, 1)
    proposed: list[str] = []
    date = start + dt.timedelta(days=interval)
    while date < end and len(proposed) < 12:
        proposed.append(date.isoformat())
        date += dt.timedelta(days=interval)
    return proposed or [end.isoformat()]


def renewed_yaml(data: Mapping[str, Any], source: str) -> bytes:
    """The renewed plan as YAML text, with a header saying where it came from."""
    import yaml

    header = (
        f"# The next period of the plan in {source}, written by `txplan renew`.\n"
        "# Decide what renewal.to_decide lists (`txplan check` reports each item), then sign.\n\n"
    )
    class PlanDumper(yaml.SafeDumper):
        """Writes dates plain (2027-03-14, not '2027-03-14'): txplan reads them as text anyway."""

    PlanDumper.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
    }
    return (header + yaml.dump(dict(data), Dumper=PlanDumper, sort_keys=False, allow_unicode=True, width=100)).encode("utf-8")
