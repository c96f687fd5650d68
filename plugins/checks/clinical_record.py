"""Checks that the record holds together over time and says what a reviewer looks for: content
dated after the latest signature, the clinician's medical-necessity statement, and a risk
assessment after a safety flag. Each rule's source is public; a payer profile decides which run
and how seriously."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from txplan import hookimpl
from txplan.contracts import Check, CheckContext, Finding
from txplan.plan_data import indexed_entries, iso_date


def latest_signature(data: Mapping[str, Any]) -> dt.date | None:
    """The latest date the clinician signed: the plan itself or any of its revisions."""
    blocks = [data.get("signatures")] + [revision.get("signatures") for _, revision in indexed_entries(data, "revisions")]
    dates = [iso_date(((block or {}).get("clinician") or {}).get("date")) for block in blocks if isinstance(block, dict)]
    return max((d for d in dates if d), default=None)


def dated_content(data: Mapping[str, Any]) -> Iterator[tuple[tuple[str | int, ...], str, dt.date]]:
    """Every dated piece of clinical content: ``(path, what, date)``."""
    for index, assessment in indexed_entries(data, "assessments"):
        when = iso_date(assessment.get("date"))
        if when:
            yield ("assessments", index, "date"), f"the {assessment.get('instrument', 'assessment')} administration of {when.isoformat()}", when
    for index, value in enumerate(data.get("session_dates") or []):
        when = iso_date(value)
        if when:
            yield ("session_dates", index), f"the session of {when.isoformat()}", when
    for key, what in (("safety_plan", "the safety plan"), ("risk_assessment", "the risk assessment")):
        block = data.get(key)
        when = iso_date(block.get("date")) if isinstance(block, dict) else None
        if when:
            yield (key, "date"), f"{what} of {when.isoformat()}", when
    for index, revision in indexed_entries(data, "revisions"):
        when = iso_date(revision.get("date"))
        if when:
            yield ("revisions", index, "date"), f"the revision of {when.isoformat()}", when


def content_after_signature(ctx: CheckContext) -> Iterator[Finding]:
    """Content dated after the latest clinician signature reads as content nobody signed."""
    signed = latest_signature(ctx.data)
    if signed is None:
        return  # clinician-signature reports an unsigned plan
    for path, what, when in dated_content(ctx.data):
        if when > signed:
            yield Finding(path, f"{what} is dated after the latest signature ({signed.isoformat()}): record a revision "
                          "(revisions: date, summary, signatures) that accounts for it, and sign it")


def medical_necessity(ctx: CheckContext) -> Iterator[Finding]:
    """The plan states, for this client, why the services are medically necessary."""
    if not isinstance(ctx.data.get("medical_necessity"), dict):
        yield Finding((), "no medical-necessity statement: add medical_necessity (symptoms, impairment, services, "
                      "expected_improvement) linking this client's diagnosis to the impairment and the services planned")


def risk_assessment(ctx: CheckContext) -> Iterator[Finding]:
    """After a safety flag, a documented risk assessment (level, factors, plan) dated on or after it."""
    risk = ctx.data.get("risk_assessment")
    assessed = iso_date(risk.get("date")) if isinstance(risk, dict) else None
    for index, assessment in indexed_entries(ctx.data, "assessments"):
        instrument = ctx.instruments.get(assessment.get("instrument", ""))
        result = ctx.results.get(index)
        flagged = iso_date(assessment.get("date"))
        if not instrument or not result or not flagged:
            continue
        if any(flag in instrument.safety_flags for flag in result.flags) and (assessed is None or assessed < flagged):
            yield Finding(("assessments", index), f"a safety flag was raised on {flagged.isoformat()} and no risk assessment is "
                          "documented on or after it: add risk_assessment (date, level, risk and protective factors, plan)")


CHECKS = [
    Check(
        "content-after-signature",
        "Content added after the plan was signed has not been agreed by anyone until a signed revision accounts for it.",
        "CMS Medicare Program Integrity Manual (Pub. 100-08), ch. 3 §3.3.2.4: medical record entries are authenticated "
        "by the author's dated signature",
        content_after_signature,
    ),
    Check(
        "medical-necessity",
        "Reviewers look for this client's diagnosis tied to a functional impairment, to the services planned and to the "
        "improvement expected.",
        "CGS Medicare LCD L34353 Psychiatric Codes: services must be reasonable and necessary, with a reasonable "
        "expectation of improvement; NGS Medicare psychotherapy documentation guidance",
        medical_necessity,
    ),
    Check(
        "risk-assessment",
        "A positive suicide-risk screen calls for a documented assessment of the level of risk and a plan to mitigate it.",
        "The Joint Commission, National Patient Safety Goal NPSG.15.01.01 (reduce the risk for suicide), elements of "
        "performance 3-5",
        risk_assessment,
    ),
]


@hookimpl
def register_checks(register):
    """Register the record checks."""
    for check in CHECKS:
        register(check)
