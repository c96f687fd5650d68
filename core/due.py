"""What is due across a caseload: reviews, reassessments, plan ends, signatures and objectives
past their target date, for every plan under the paths given.

:func:`caseload` is the one function behind ``txplan due`` and the workspace's caseload page: it
returns plain data (dicts, lists, strings, numbers; dates as ``YYYY-MM-DD``) that the CLI prints
as text, JSON or iCalendar and a web page shows as it is. A plan that cannot be read or is not
valid is reported with its file, line and field, and every other plan is still listed; a
discharged plan is counted, not listed.

When a review is held: each revision (``revisions[].date``) counts for the earliest scheduled
review date (``review_dates``) not yet held, provided it comes after the scheduled date before
that one (or the plan's start). A review held a week early therefore counts; the next review is
the earliest scheduled date not held.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .context import attestation, target_passed
from .durations import parse_duration
from .errors import PlanError, Problem

#: The file names a folder is searched for.
PLAN_SUFFIXES = (".yaml", ".yml", ".json")


def caseload(
    paths: Iterable[str | Path],
    *,
    as_of: dt.date | None = None,
    within: int | None = None,
    clinician: str | None = None,
    engine: Any = None,
    payer: str | None = None,
) -> dict[str, Any]:
    """What is due for every plan in ``paths`` (files, and folders searched recursively for
    ``.yaml``, ``.yml`` and ``.json`` files) on ``as_of`` (default: today).

    ``within``: list only plans with a dated item (review, reassessment, plan end) due within
    that many days, overdue ones included. ``clinician``: only plans whose clinician's name
    contains this text (case does not matter). ``engine``: the :class:`txplan.Engine` plans
    are validated and checked with (default: the default pack with installed plugins);
    ``payer``: the check profile (default: the one the pack's ``check.profile`` names).

    Returns ``{"as_of", "plans", "problems", "discharged", "overdue"}``: ``plans`` sorted with the
    most overdue first (see :func:`plan_due` for one entry); ``problems`` one
    ``{"file", "line", "path", "message"}`` per problem in a plan that could not be listed;
    ``discharged`` the files of discharged plans; ``overdue`` whether any listed plan has
    anything overdue."""
    from .readiness import select_profile

    if engine is None:
        from .pipeline import Engine

        engine = Engine()
    as_of = as_of or dt.date.today()
    profile, params = select_profile(engine, payer)
    listed: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    discharged: list[str] = []
    for file in plan_files(paths, problems):
        try:
            plan = engine.load(file)
            errors = [p for p in engine.validate(plan) if p.severity == "error"]
        except PlanError as exc:
            errors = exc.problems
        if errors:
            problems.extend(_problem_json(p) for p in errors)
            continue
        if isinstance(plan.data.get("discharge"), dict):
            discharged.append(plan.source)
            continue
        entry = plan_due(engine, plan, as_of, profile, params)
        if clinician and clinician.casefold() not in entry["clinician"].casefold():
            continue
        if within is not None and not any(item["days"] <= within for item in entry["items"]):
            continue
        listed.append(entry)
    listed.sort(key=lambda e: (e["items"][0]["date"] if e["items"] else "9999-12-31", e["file"]))
    return {
        "as_of": as_of.isoformat(),
        "plans": listed,
        "problems": problems,
        "discharged": discharged,
        "overdue": any(e["overdue"] for e in listed),
    }


def plan_files(paths: Iterable[str | Path], problems: list[dict[str, Any]]) -> Iterator[str]:
    """Each plan file under ``paths``, in name order within each folder: a file given is taken
    as it is; a folder is searched recursively (hidden folders and symbolic links to folders are
    not followed). A path that does not exist or a folder that cannot be read is added to
    ``problems``."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found: list[str] = []

            def unreadable(exc: OSError, given: str = str(given)) -> None:
                problems.append({"file": str(exc.filename or given), "line": None, "path": "", "message": f"cannot be read: {exc.strerror}"})

            for folder, subfolders, files in os.walk(path, onerror=unreadable):
                subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
                found.extend(os.path.join(folder, f) for f in files if f.lower().endswith(PLAN_SUFFIXES) and not f.startswith("."))
            yield from sorted(found)
        elif path.exists():
            yield str(given)
        else:
            problems.append({"file": str(given), "line": None, "path": "", "message": "does not exist"})


def plan_due(engine: Any, plan: Any, as_of: dt.date, profile: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    """What is due for one valid plan on ``as_of``: ``file``, ``client``, ``initials``,
    ``clinician``, ``period`` (``start``, ``end``), ``next_review`` (``date`` and ``days``, or
    ``None`` when no scheduled review is left), ``reassessments`` (one per scheduled instrument:
    ``instrument``, ``every``, ``last_given``, ``due``, ``days``), ``plan_end_passed``,
    ``signatures_missing`` (``"client"``, ``"clinician"``, ``"supervisor"``, for the plan or its
    latest revision), ``objectives_past_target`` (ids), ``check`` (``errors``, ``warnings``,
    ``profile``), ``items`` (every dated item, earliest first: ``kind``, ``what``, ``date``,
    ``days``, ``overdue``) and ``overdue``. ``days`` is negative when the date has passed."""
    from . import measures
    from .readiness import run_checks

    data = plan.data
    start = dt.date.fromisoformat(data["plan"]["start_date"])
    end_text = data["plan"].get("end_date")
    items: list[dict[str, Any]] = []

    def item(kind: str, what: str, date: dt.date) -> dict[str, Any]:
        days = (date - as_of).days
        entry = {"kind": kind, "what": what, "date": date.isoformat(), "days": days, "overdue": days < 0}
        items.append(entry)
        return entry

    review = next_review(data, as_of)
    next_review_json = None
    if review is not None:
        next_review_json = {"date": review.isoformat(), "days": (review - as_of).days}
        item("review", "plan review", review)

    assessments = [dict(a) for a in data.get("assessments") or []]
    measures.add_results(assessments, engine.host.instruments)
    reassessments = []
    for scheduled in (data.get("progress_monitoring") or {}).get("schedule") or []:
        instrument = engine.host.instruments.get(scheduled["instrument"])
        name = measures.short_name(instrument) if instrument else scheduled["instrument"]
        every = parse_duration(scheduled["every"])
        given = sorted(a["date"] for a in assessments if a.get("instrument") == scheduled["instrument"] and a["date"] <= as_of.isoformat())
        last = dt.date.fromisoformat(given[-1]) if given else None
        due = every.after(last) if (last and every) else start
        reassessments.append(
            {"instrument": name, "every": str(every), "last_given": last.isoformat() if last else None, "due": due.isoformat(), "days": (due - as_of).days}
        )
        item("reassessment", name, due)

    end = dt.date.fromisoformat(end_text) if end_text else None
    if end is not None:
        item("plan_end", "plan end", end)

    missing = signatures_missing(data)
    past_target = []
    for goal in data["goals"]:
        for objective in goal["objectives"]:
            if _past_target(objective, assessments, engine.host.instruments, as_of):
                past_target.append(objective["id"])
    findings = run_checks(engine, plan, profile, params, as_of)
    errors = sum(f.severity == "error" for f in findings)
    items.sort(key=lambda i: (i["date"], i["kind"]))
    client = data["client"]
    return {
        "file": plan.source,
        "client": client["name"],
        "initials": initials(client["name"]),
        "clinician": data["clinician"]["name"],
        "period": {"start": start.isoformat(), "end": end_text},
        "next_review": next_review_json,
        "reassessments": reassessments,
        "plan_end_passed": bool(end and end < as_of),
        "signatures_missing": missing,
        "objectives_past_target": past_target,
        "check": {"errors": errors, "warnings": len(findings) - errors, "profile": profile.id},
        "items": items,
        "overdue": any(i["overdue"] for i in items),
    }


def next_review(data: Mapping[str, Any], as_of: dt.date | None = None) -> dt.date | None:
    """The earliest scheduled review date not yet held by ``as_of`` (see the module's note on
    when a review counts as held), or ``None`` when every scheduled review is held."""
    start = dt.date.fromisoformat(data["plan"]["start_date"])
    scheduled = sorted(dt.date.fromisoformat(d) for d in data.get("review_dates") or [])
    held = sorted(d for d in (dt.date.fromisoformat(r["date"]) for r in data.get("revisions") or []) if as_of is None or d <= as_of)
    previous = start
    for date in scheduled:
        while held and held[0] <= previous:
            held.pop(0)  # a review before the previous scheduled date counted for that one, or none
        if held:
            held.pop(0)
            previous = date
            continue
        return date
    return None


def signatures_missing(data: Mapping[str, Any]) -> list[str]:
    """Who has not signed the current version of the plan (its latest revision, or the plan
    itself): ``client`` (neither a signature nor a reason recorded), ``clinician``, and
    ``supervisor`` where the plan names one."""
    revisions = sorted(data.get("revisions") or [], key=lambda r: r["date"])
    signatures = revisions[-1].get("signatures") if revisions else data.get("signatures")
    state = attestation(signatures)
    missing = []
    if state["client"] == "unsigned":
        missing.append("client")
    if state["clinician"] == "unsigned":
        missing.append("clinician")
    if (data.get("clinician") or {}).get("supervisor") and state["supervisor"] == "unsigned":
        missing.append("supervisor")
    return missing


def initials(name: str) -> str:
    """``Amélie Durand-Okafor`` -> ``A.D.-O.``: what a calendar may show of a client."""
    parts = []
    for word in name.split():
        pieces = [p for p in word.split("-") if p and p[0].isalpha()]
        if pieces:
            parts.append("-".join(f"{p[0].upper()}." for p in pieces))
    return "".join(parts) or "?"


def _past_target(objective: Mapping[str, Any], assessments: list[dict[str, Any]], instruments: Mapping[str, Any], as_of: dt.date) -> bool:
    from . import measures

    judged = dict(objective)
    judged["measure_status"] = measures.objective_status(judged, assessments, instruments)
    return target_passed(judged, as_of)


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "path": problem.path, "message": problem.message, "severity": problem.severity}
