"""What changed between two versions of one client's plan, by field path, in the words a
clinician reads: ``goal G2 added``, ``objective G1.1 met on 2026-11-30``, ``PHQ-9 given
2026-11-09``.

Goals, objectives and interventions are matched by id, assessments by instrument and date,
diagnoses by code, revisions by date; everything else by field path. Free text that changed is
named, not quoted (``objective G1.1: criterion reworded``): both files are at hand to read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .fieldpath import format_path

STATUS_WORDS = {
    "not_started": "not started",
    "in_progress": "in progress",
    "met": "met",
    "partially_met": "partially met",
    "not_met": "not met",
    "discontinued": "discontinued",
}


def plan_diff(old: Mapping[str, Any], new: Mapping[str, Any], instruments: Mapping[str, Any] | None = None) -> list[dict[str, str]]:
    """Every change from ``old`` to ``new`` (two valid plans' data): goals and objectives first,
    then objectives' measured status, assessments, interventions, diagnoses, reviews, signatures,
    the discharge and any other field; each ``{"path", "change", "message"}`` where ``change`` is ``added``, ``removed`` or ``changed``
    and ``path`` is the field in the new plan (in the old one for what was removed)."""
    instruments = instruments or {}
    out: list[dict[str, str]] = []

    def note(path: tuple[Any, ...], change: str, message: str) -> None:
        out.append({"path": format_path(path), "change": change, "message": message})

    handled = {"goals", "assessments", "interventions", "diagnoses", "revisions", "signatures", "discharge", "review_dates"}
    _goals(old, new, new, note)
    _measured(old, new, instruments, note)
    _keyed(old, new, "assessments", lambda a: (a["instrument"], a["date"]), lambda a: f"{_instrument(a, instruments)} given {a['date']}",
           lambda a: f"{_instrument(a, instruments)} of {a['date']} removed", lambda a: f"{_instrument(a, instruments)} of {a['date']}: answers changed", note)
    _keyed(old, new, "interventions", lambda i: i["id"], lambda i: f"intervention {i['id']} added", lambda i: f"intervention {i['id']} removed",
           lambda i: f"intervention {i['id']} changed", note)
    _keyed(old, new, "diagnoses", lambda d: d["code"], lambda d: f"diagnosis {d['code']} added", lambda d: f"diagnosis {d['code']} removed",
           lambda d: f"diagnosis {d['code']} changed", note)
    _keyed(old, new, "revisions", lambda r: r["date"], lambda r: f"review of {r['date']} recorded", lambda r: f"review of {r['date']} removed",
           lambda r: f"review of {r['date']} changed", note)
    for index, date in enumerate(new.get("review_dates") or []):
        if date not in (old.get("review_dates") or []):
            note(("review_dates", index), "added", f"review scheduled for {date}")
    for index, date in enumerate(old.get("review_dates") or []):
        if date not in (new.get("review_dates") or []):
            note(("review_dates", index), "removed", f"review of {date} no longer scheduled")
    for who in ("client", "clinician", "supervisor"):
        before = ((old.get("signatures") or {}).get(who) or {})
        after = ((new.get("signatures") or {}).get(who) or {})
        if after.get("date") and after.get("date") != before.get("date"):
            note(("signatures", who, "date"), "changed", f"{who} signed on {after['date']}")
        elif after.get("declined_reason") and not before.get("declined_reason"):
            note(("signatures", who), "changed", f"{who}'s reason for not signing recorded")
        elif before and not after:
            note(("signatures", who), "removed", f"{who}'s signature removed")
    if new.get("discharge") and not old.get("discharge"):
        discharge = new["discharge"]
        note(("discharge",), "added", f"discharged on {discharge['date']} ({discharge['reason'].replace('_', ' ')})")
    elif old.get("discharge") and not new.get("discharge"):
        note(("discharge",), "removed", "discharge removed")
    elif old.get("discharge") != new.get("discharge"):
        _fields(old["discharge"], new["discharge"], ("discharge",), note)
    for key in dict.fromkeys([*new, *old]):
        if key not in handled and old.get(key) != new.get(key):
            _fields(old.get(key), new.get(key), (key,), note)
    return out


def _goals(old: Mapping[str, Any], new: Mapping[str, Any], plan: Mapping[str, Any], note: Any) -> None:
    old_goals = {g["id"]: g for g in old.get("goals") or []}
    new_ids = {g["id"] for g in new.get("goals") or []}
    old_objectives = {o["id"]: o for g in old.get("goals") or [] for o in g["objectives"]}
    changed_on = _status_dates(plan)
    for gi, goal in enumerate(new.get("goals") or []):
        before = old_goals.get(goal["id"])
        if before is None:
            note(("goals", gi), "added", f"goal {goal['id']} added")
        else:
            for key in ("statement", "clinical_statement", "addresses"):
                if goal.get(key) != before.get(key):
                    note(("goals", gi, key), "changed", f"goal {goal['id']}: {key.replace('_', ' ')} {'reworded' if key != 'addresses' else 'changed'}")
        for oi, objective in enumerate(goal["objectives"]):
            path = ("goals", gi, "objectives", oi)
            prior = old_objectives.get(objective["id"])
            if prior is None:
                note(path, "added", f"objective {objective['id']} added")
                continue
            old_status, new_status = prior.get("status") or "not_started", objective.get("status") or "not_started"
            if old_status != new_status:
                when = changed_on.get((objective["id"], new_status))
                note((*path, "status"), "changed", f"objective {objective['id']} {STATUS_WORDS[new_status]}{f' on {when}' if when else ''} (was {STATUS_WORDS[old_status]})")
            if objective.get("target_date") != prior.get("target_date"):
                note((*path, "target_date"), "changed", f"objective {objective['id']}: target date moved from {prior.get('target_date')} to {objective.get('target_date')}")
            for key in ("description", "criterion", "baseline", "measure"):
                if objective.get(key) != prior.get(key):
                    note((*path, key), "changed", f"objective {objective['id']}: {key} {'changed' if key == 'measure' else 'reworded'}")
    new_objectives = {o["id"] for g in new.get("goals") or [] for o in g["objectives"]}
    for gi, goal in enumerate(old.get("goals") or []):
        if goal["id"] not in new_ids:
            note(("goals", gi), "removed", f"goal {goal['id']} removed")
            continue
        for oi, objective in enumerate(goal["objectives"]):
            if objective["id"] not in new_objectives:
                note(("goals", gi, "objectives", oi), "removed", f"objective {objective['id']} removed")


def _measured(old: Mapping[str, Any], new: Mapping[str, Any], instruments: Mapping[str, Any], note: Any) -> None:
    """Objectives whose status is computed from a measure: a change of state, with the
    administration it rests on."""
    from . import measures

    def states(plan: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        assessments = [dict(a) for a in plan.get("assessments") or []]
        measures.add_results(assessments, instruments)
        found = {}
        for goal in plan.get("goals") or []:
            for objective in goal["objectives"]:
                state = measures.objective_status(dict(objective), assessments, instruments) if objective.get("measure") else None
                if state:
                    found[objective["id"]] = state
        return found

    before, after = states(old), states(new)
    words = {"met": "met", "not_met": "not yet met", "no_data": "without data since baseline"}
    for gi, goal in enumerate(new.get("goals") or []):
        for oi, objective in enumerate(goal["objectives"]):
            now, then = after.get(objective["id"]), before.get(objective["id"])
            if now and then and now["state"] != then["state"]:
                rests_on = f" ({now['instrument']} {now['score']} {now['value']} on {now['date']})" if now["value"] is not None else ""
                note(("goals", gi, "objectives", oi, "measure"), "changed", f"objective {objective['id']} {words[now['state']]}{rests_on}, by its measure (was {words[then['state']]})")


def _status_dates(plan: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """(objective, status) -> the date of the review that recorded it (the latest such review)."""
    found: dict[tuple[str, str], str] = {}
    for revision in sorted(plan.get("revisions") or [], key=lambda r: r["date"]):
        for change in revision.get("changes") or []:
            if change.get("objective"):
                found[(change["objective"], change["change"])] = revision["date"]
    return found


def _keyed(old: Mapping[str, Any], new: Mapping[str, Any], key: str, identity: Any, added: Any, removed: Any, changed: Any, note: Any) -> None:
    before = {identity(item): item for item in old.get(key) or []}
    after_ids = {identity(item) for item in new.get(key) or []}
    for index, item in enumerate(new.get(key) or []):
        prior = before.get(identity(item))
        if prior is None:
            note((key, index), "added", added(item))
        elif prior != item:
            note((key, index), "changed", changed(item))
    for index, item in enumerate(old.get(key) or []):
        if identity(item) not in after_ids:
            note((key, index), "removed", removed(item))


def _fields(old: Any, new: Any, path: tuple[Any, ...], note: Any) -> None:
    """Any other field, by path: added, removed, or changed (text named, not quoted)."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in dict.fromkeys([*new, *old]):
            if old.get(key) != new.get(key):
                _fields(old.get(key), new.get(key), (*path, key), note)
        return
    name = format_path(path)
    if old is None:
        note(path, "added", f"{name} added")
    elif new is None:
        note(path, "removed", f"{name} removed")
    elif isinstance(new, str) and len(new) <= 10 and isinstance(old, str) and len(old) <= 10:
        note(path, "changed", f"{name} changed from {old} to {new}")
    else:
        note(path, "changed", f"{name} changed")


def _instrument(assessment: Mapping[str, Any], instruments: Mapping[str, Any]) -> str:
    from .measures import short_name

    instrument = instruments.get(assessment["instrument"])
    return short_name(instrument) if instrument else assessment.get("name") or assessment["instrument"]
