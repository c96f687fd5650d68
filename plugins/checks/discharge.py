"""Checks for a discharge summary: each goal's outcome, a final measure to set against the
baseline, and aftercare. They find nothing in a plan that has no ``discharge`` section. Each
rule's source is public; a payer profile decides which run and how seriously."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from txplan import hookimpl
from txplan.contracts import Check, CheckContext, Finding

#: How long before the discharge date the final administration may be, by default; a practice
#: sets its own with ``discharge_measure_days`` in a pack's ``check.params``.
FINAL_MEASURE_DAYS = 30


def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _discharge(ctx: CheckContext) -> dict[str, Any] | None:
    block = ctx.data.get("discharge")
    return block if isinstance(block, dict) else None


def goal_outcomes(ctx: CheckContext) -> Iterator[Finding]:
    """Every goal of the plan has an outcome in the discharge summary."""
    discharge = _discharge(ctx)
    if discharge is None:
        return
    given = {o.get("goal") for o in discharge.get("goals") or [] if isinstance(o, dict)}
    for index, goal in enumerate(ctx.data.get("goals") or []):
        if isinstance(goal, dict) and goal.get("id") not in given:
            yield Finding(("discharge", "goals") if "goals" in discharge else ("discharge",),
                          f"no outcome for goal {index + 1} (goals[{index}]): add it under discharge.goals with met, partially_met, not_met or discontinued")


def final_measure(ctx: CheckContext) -> Iterator[Finding]:
    """A standardised instrument given before is given again near the discharge, so the final
    score can be set against the baseline. Where the client stopped attending (``no_contact``)
    a final administration may not be possible: a warning."""
    discharge = _discharge(ctx)
    if discharge is None:
        return
    ended = _date(discharge.get("date"))
    if ended is None:
        return
    days = int(ctx.params.get("discharge_measure_days", FINAL_MEASURE_DAYS))
    severity = "warning" if discharge.get("reason") == "no_contact" else "error"
    dated = [
        (_date(a.get("date")), a.get("instrument"))
        for index, a in enumerate(ctx.data.get("assessments") or [])
        if isinstance(a, dict) and ctx.results.get(index) is not None and ctx.results[index].scores
    ]
    found = [(d, i) for d, i in dated if d is not None and d <= ended]
    if not found:
        yield Finding(("discharge",), "no standardised instrument was given before the discharge, so no final score can be set against a baseline", severity)
        return
    first: dict[Any, dt.date] = {}
    for when, instrument in sorted(found, key=lambda pair: pair[0]):
        first.setdefault(instrument, when)
    final = [i for when, i in found if (ended - when).days <= days and when > first[i]]
    if not final:
        yield Finding(("discharge", "date"), f"no standardised instrument given at the start was given again in the {days} days before the discharge: "
                      "give a final administration to set against the baseline (discharge_measure_days in a pack's check.params sets the window)", severity)


def aftercare(ctx: CheckContext) -> Iterator[Finding]:
    """The discharge says what happens next: an aftercare plan, and where the client was
    referred when the reason is a referral."""
    discharge = _discharge(ctx)
    if discharge is None:
        return
    if not discharge.get("aftercare"):
        yield Finding(("discharge",), "no aftercare plan: say what the client will keep doing, what to do if difficulties return and how to come back")
    if discharge.get("reason") == "referred" and not discharge.get("referrals"):
        yield Finding(("discharge", "reason"), "the client was referred on, but no referral is recorded: add it under discharge.referrals")


CARF_DISCHARGE = (
    "CARF Behavioral Health Standards Manual, Section 2.E Transition/Discharge: the discharge summary records the extent to "
    "which goals and objectives were achieved, the reason for discharge, the person's status at last contact and "
    "recommendations for services or supports"
)

CHECKS = [
    Check(
        "discharge-goal-outcomes",
        "A discharge summary says how far each goal of the plan was reached.",
        CARF_DISCHARGE,
        goal_outcomes,
    ),
    Check(
        "discharge-final-measure",
        "Outcomes are judged by the same standardised measure at the end as at the start.",
        "The Joint Commission, Behavioral Health Care and Human Services standard CTS.03.01.09: a standardised tool or "
        "instrument monitors the individual's progress and its data are used to evaluate outcomes",
        final_measure,
    ),
    Check(
        "discharge-aftercare",
        "Treatment ends with a plan for what follows: aftercare, and the referral where there is one.",
        CARF_DISCHARGE,
        aftercare,
    ),
]


@hookimpl
def register_checks(register):
    """Register the discharge checks."""
    for check in CHECKS:
        register(check)
