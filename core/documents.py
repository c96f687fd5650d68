"""Document kinds: the treatment plan itself (``plan``), the Treatment Plan Review for the
latest revision (``review``) and the discharge summary (``discharge``).

A pack lists each kind's sections (``sections`` for the plan; ``documents.review.sections`` and
``documents.discharge.sections`` for the others), layered as the plan's are. This module adds to
the plan's render context what the review and the discharge say, computed from the data, never
typed twice: objectives' status at the previous review and at this one, scores since the
previous review with their change and the published thresholds it meets, final scores against
the baseline. Where the data cannot say something (a status nobody recorded), the value is
``None`` and the document says it was not recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from . import measures
from .context import attestation
from .errors import PlanError
from .loader import Plan

#: The document kinds, in the order `pack check` covers them.
KINDS = ("plan", "review", "discharge")
#: Changes that record an objective's status at a review.
STATUS_CHANGES = frozenset({"met", "partially_met", "not_met", "discontinued"})


def kind_context(kind: str, plan: Plan, context: dict[str, Any], instruments: Mapping[str, Any]) -> dict[str, Any]:
    """``context`` (the plan's render context) with what a ``kind`` document adds: ``review``
    or ``discharge``, and its ``title``. :class:`PlanError` at the field when the plan cannot
    give that document (no revision, a review without changes, no discharge)."""
    if kind == "plan":
        return context
    if kind == "review":
        added = {"review": review_data(plan, context["plan"], instruments)}
    elif kind == "discharge":
        added = {"discharge": discharge_data(plan, context["plan"], instruments)}
    else:
        raise ValueError(kind)
    # The document's title is the plan's title label for this kind (templates print labels.title).
    title = context["labels"].get(f"{kind}_title", context["title"])
    return {**context, **added, "title": title, "labels": {**context["labels"], "title": title}}


def review_data(plan: Plan, completed: dict[str, Any], instruments: Mapping[str, Any]) -> dict[str, Any]:
    """What the Treatment Plan Review of the latest revision says: ``date``, ``previous`` (the
    previous review's date, or ``None`` when this is the first: then the plan's start, in
    ``since``), ``summary``, ``narrative``, ``objectives`` (per objective: ``then`` and ``now``,
    each a status or ``None`` when not recorded, and ``added`` when this review added it),
    ``scores`` (progress tables from the last administration on or before ``since`` to this
    review), ``changes`` grouped by kind, ``next_review`` and the review's ``signatures`` and
    ``attestation``."""
    from .due import next_review

    revisions = sorted(((i, r) for i, r in enumerate(plan.data.get("revisions") or [])), key=lambda pair: pair[1]["date"])
    if not revisions:
        raise PlanError(problems=[plan.problem(("revisions",) if "revisions" in plan.data else (), "the plan has no revision to review: add one under revisions (date, summary, changes, signatures)")])
    index, latest = revisions[-1]
    if not latest.get("changes"):
        from .timeline import NO_CHANGES

        raise PlanError(problems=[plan.problem(("revisions", index, "summary"), NO_CHANGES)])
    date = latest["date"]
    previous = revisions[-2][1]["date"] if len(revisions) > 1 else None
    since = previous or plan.data["plan"]["start_date"]
    earlier_changes = [c for _, r in revisions[:-1] for c in r.get("changes") or []]
    now_changes = latest["changes"]
    assessments = completed["assessments"]
    objectives = []
    for goal in completed["goals"]:
        for objective in goal["objectives"]:
            added = any(c.get("objective") == objective["id"] and c["change"] == "added" for c in now_changes) or any(
                c.get("goal") == goal["id"] and c["change"] == "added" for c in now_changes
            )
            objectives.append(
                {
                    "goal": goal["id"],
                    "id": objective["id"],
                    "description": objective["description"],
                    "added": added,
                    "then": None if added else _status_at(objective, since, earlier_changes, assessments, instruments, current=False),
                    "now": _status_at(objective, date, [*earlier_changes, *now_changes], assessments, instruments, current=True),
                }
            )
    grouped: dict[str, list[dict[str, Any]]] = {}
    completed_revision = next(r for r in completed["revisions"] if r["date"] == date and r["summary"] == latest["summary"])
    for change in completed_revision["changes"]:
        grouped.setdefault(change["change"], []).append(change)
    upcoming = next_review(plan.data, dt.date.fromisoformat(date))
    return {
        "date": date,
        "previous": previous,
        "since": since,
        "summary": latest["summary"],
        "narrative": latest.get("narrative"),
        "objectives": objectives,
        "scores": _scores_between(assessments, instruments, since, date),
        "changes": grouped,
        "next_review": upcoming.isoformat() if upcoming else None,
        "signatures": completed_revision["signatures"],
        "attestation": attestation(latest.get("signatures")),
    }


def discharge_data(plan: Plan, completed: dict[str, Any], instruments: Mapping[str, Any]) -> dict[str, Any]:
    """What the discharge summary says: the ``discharge`` block (completed), each goal with its
    ``outcome`` (``None`` when not given), ``scores`` (baseline against final: the first and the
    last administration of each instrument on or before the discharge date, only for
    instruments given at least twice), ``single`` (instruments given once: no final score to
    compare) and the ``attestation`` of its signatures."""
    block = plan.data.get("discharge")
    if not isinstance(block, dict):
        raise PlanError(problems=[plan.problem((), "the plan has no discharge section: add discharge (date, reason, goals' outcomes, aftercare)")])
    discharge = completed["discharge"]
    outcomes = {o["goal"]: o for o in discharge["goals"]}
    goals = [{"id": g["id"], "statement": g["statement"], "outcome": (outcomes.get(g["id"]) or {}).get("outcome"), "note": (outcomes.get(g["id"]) or {}).get("note")} for g in completed["goals"]]
    date = discharge["date"]
    assessments = [a for a in completed["assessments"] if a["date"] <= date]
    chosen = []
    single = []
    for instrument_id in dict.fromkeys(a["instrument"] for a in assessments):
        given = sorted((a for a in assessments if a["instrument"] == instrument_id and a.get("score_result") and a["score_result"].scores), key=lambda a: a["date"])
        if len(given) >= 2:
            chosen.extend([given[0], given[-1]])
        elif len(given) == 1:
            single.append(given[0].get("display_name") or instrument_id)
    return {
        **discharge,
        "goals": goals,
        "scores": measures.progress(chosen, instruments),
        "single": single,
        "attestation": attestation(block.get("signatures")),
    }


def _status_at(
    objective: Mapping[str, Any], date: str, changes: list[Mapping[str, Any]], assessments: list[dict[str, Any]], instruments: Mapping[str, Any], *, current: bool
) -> dict[str, Any] | None:
    """An objective's status on ``date``: computed from its measure where it has one (from the
    administrations up to that date), else the last status a review recorded for it, else (for
    the latest review only) the status the plan records now (not started when it records
    none). ``None`` when nothing says."""
    if objective.get("measure"):
        given = [a for a in assessments if a["date"] <= date]
        state = measures.objective_status(dict(objective), given, instruments)
        return {"kind": "measure", **state} if state else None
    recorded = [c["change"] for c in changes if c.get("objective") == objective["id"] and c["change"] in STATUS_CHANGES]
    if recorded:
        return {"kind": "status", "state": recorded[-1]}
    if current:
        # The plan's own status is today's, and so this review's; the schema reads an omitted
        # status as not started.
        return {"kind": "status", "state": objective.get("status") or "not_started"}
    return None


def _scores_between(assessments: list[dict[str, Any]], instruments: Mapping[str, Any], since: str, until: str) -> list[dict[str, Any]]:
    """Progress tables for the administrations after ``since`` up to ``until``, each
    compared with the instrument's last administration on or before ``since`` (its first
    when it was first given after ``since``)."""
    chosen: list[dict[str, Any]] = []
    for instrument_id in dict.fromkeys(a["instrument"] for a in assessments):
        given = sorted((a for a in assessments if a["instrument"] == instrument_id and a["date"] <= until), key=lambda a: a["date"])
        before = [a for a in given if a["date"] <= since]
        after = [a for a in given if a["date"] > since]
        if after:
            chosen.extend([*before[-1:], *after])
    return measures.progress(chosen, instruments)



def render_kind(engine: Any, plan: Plan, kind: str, *, as_of: dt.date | None = None) -> Any:
    """Validate ``plan`` and render the ``kind`` document's sections with ``engine``'s pack (a
    :class:`~txplan.contracts.RenderedDocument`, for any output format). :class:`PlanError` if
    the plan has errors or cannot give this document; :class:`PackError` if the pack has no
    such document or its templates fail."""
    from .contracts import RenderContext, RenderedDocument, Section

    if kind == "plan":
        return engine.render_document(plan, as_of=as_of)
    sections = engine.pack.rendered_sections_for(kind)
    errors = [p for p in engine.validate(plan) if p.severity == "error"]
    if errors:
        raise PlanError(problems=errors)
    context = kind_context(kind, plan, engine.context(plan, as_of=as_of), engine.host.instruments)
    rendered, total = [], 0
    for name in sections:
        text = engine.render_section(name, context, total)
        total += len(text)
        if text.strip():
            rendered.append(Section(name, text))
    return RenderedDocument(str(context["title"]), tuple(rendered), RenderContext.of(context), engine.pack.view)
