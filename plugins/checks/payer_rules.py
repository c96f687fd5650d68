"""The built-in insurer-readiness checks. Each names the public rule or standard it rests on (its
``source``: an LCD or MAC article, a CFR section, an accreditation standard and element, or a
paper); a payer profile decides which run and how serious their findings are."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from txplan import hookimpl
from txplan.contracts import Check, CheckContext, Finding
from txplan.plan_data import indexed_entries, iso_date

from .code_sets import CODE_SET_CHECKS

ADULT_AGE = 18
CHILDHOOD_ATTACHMENT_CODES = {"F94.1", "F94.2"}
FIRST_PERSON = re.compile(r"\b(I|I'm|I've|I'd|I'll|me|my|myself|mine)\b", re.IGNORECASE)
MEASURABLE = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|twice|once|daily|weekly|monthly|every|each|all|none|no longer)\b", re.IGNORECASE)




def primary_diagnosis(ctx: CheckContext) -> Iterator[Finding]:
    """A primary diagnosis with a well-formed ICD-10-CM code."""
    diagnoses = indexed_entries(ctx.data, "diagnoses")
    if not diagnoses:
        yield Finding(("diagnoses",), "no diagnosis: payers need a covered ICD-10-CM diagnosis")
        return
    primaries = [d for _, d in diagnoses if d.get("primary")]
    if not primaries and len(diagnoses) > 1:
        yield Finding(("diagnoses",), "no diagnosis is marked primary: mark the one the claim is made under")


def _primary(ctx: CheckContext) -> tuple[int, dict[str, Any]] | None:
    diagnoses = indexed_entries(ctx.data, "diagnoses")
    return next(((i, d) for i, d in diagnoses if d.get("primary")), diagnoses[0] if len(diagnoses) == 1 else None)


def z_code(ctx: CheckContext) -> Iterator[Finding]:
    """A Z-code (a reason for contact, not a disorder) as the only or primary diagnosis."""
    primary = _primary(ctx)
    if primary and str(primary[1].get("code", "")).upper().startswith("Z"):
        yield Finding(("diagnoses", primary[0], "code"), "a Z-code as the primary diagnosis is often denied as not supporting medical necessity; "
                      "code the disorder treated (an adjustment disorder, say, where criteria for another are not met)", "warning")


def childhood_attachment(ctx: CheckContext) -> Iterator[Finding]:
    """F94.1 and F94.2 are diagnoses of childhood; adult clients need another code."""
    born = iso_date((ctx.data.get("client") or {}).get("date_of_birth"))
    start = iso_date((ctx.data.get("plan") or {}).get("start_date")) or ctx.as_of
    if not born:
        return
    age = start.year - born.year - ((start.month, start.day) < (born.month, born.day))
    if age < ADULT_AGE:
        return
    for index, diagnosis in indexed_entries(ctx.data, "diagnoses"):
        if str(diagnosis.get("code", "")).upper() in CHILDHOOD_ATTACHMENT_CODES:
            yield Finding(("diagnoses", index, "code"), f"{diagnosis['code']} is a diagnosis of childhood and the client is {age}: "
                          "adult attachment difficulties are not an ICD diagnosis; code the disorder treated", "warning")


def measurable_objectives(ctx: CheckContext) -> Iterator[Finding]:
    """Objectives need a measurable criterion and a target date."""
    for gi, goal in indexed_entries(ctx.data, "goals"):
        for oi, objective in indexed_entries(goal, "objectives"):
            base = ("goals", gi, "objectives", oi)
            if not objective.get("target_date"):
                yield Finding((*base,), "objective has no target date")
            criterion = str(objective.get("criterion") or "")
            if not objective.get("measure") and not MEASURABLE.search(criterion):
                yield Finding((*base, "criterion"), "criterion names no amount, frequency or score: say how much, how often, or which measure shows it is met")


def client_words(ctx: CheckContext) -> Iterator[Finding]:
    """Goals in the client's own words."""
    for gi, goal in indexed_entries(ctx.data, "goals"):
        statement = str(goal.get("statement") or "")
        if not FIRST_PERSON.search(statement):
            yield Finding(("goals", gi, "statement"), "does not read as the client's own words (no 'I' or 'my'): quote the client, and put the clinical wording in clinical_statement")


def intervention_frequency(ctx: CheckContext) -> Iterator[Finding]:
    """Every intervention says how often."""
    for index, intervention in indexed_entries(ctx.data, "interventions"):
        if not str(intervention.get("frequency") or "").strip():
            yield Finding(("interventions", index), f"intervention {intervention.get('id', index + 1)} has no frequency")


THERAPY_ELEMENTS = {
    "type": "the type of therapy (individual, group, family, couples)",
    "session_length_minutes": "the planned session length",
    "frequency": "the frequency of sessions",
    "duration": "the expected duration of treatment",
}


def therapy_elements(ctx: CheckContext) -> Iterator[Finding]:
    """Type, amount (session length), frequency and duration of therapy."""
    therapy = ctx.data.get("therapy") if isinstance(ctx.data.get("therapy"), dict) else None
    for key, words in THERAPY_ELEMENTS.items():
        if not therapy or therapy.get(key) in (None, ""):
            yield Finding(("therapy", key) if therapy else ("therapy",), f"missing {words}")


def plan_current(ctx: CheckContext) -> Iterator[Finding]:
    """The plan is no older than the profile allows on the date judged."""
    start = iso_date((ctx.data.get("plan") or {}).get("start_date"))
    limit = int(ctx.params.get("max_plan_age_days", 365))
    if start and (ctx.as_of - start).days > limit:
        yield Finding(("plan", "start_date"), f"the plan was established {(ctx.as_of - start).days} days before {ctx.as_of.isoformat()}; "
                      f"this profile allows {limit}: review and renew it")
    if start and start > ctx.as_of:
        yield Finding(("plan", "start_date"), f"the plan starts after {ctx.as_of.isoformat()}, the date it is judged at", "warning")


def plan_duration(ctx: CheckContext) -> Iterator[Finding]:
    """The plan's period stays within a year."""
    block = ctx.data.get("plan") or {}
    start, end = iso_date(block.get("start_date")), iso_date(block.get("end_date"))
    if start and end and (end - start).days > 366:
        yield Finding(("plan", "end_date"), "the plan runs for more than a year; payers expect a target within a year", "warning")
    if start and not end:
        yield Finding(("plan",), "no end date: say how long the plan runs (within a year)", "warning")


def review_schedule(ctx: CheckContext) -> Iterator[Finding]:
    """Reviews are scheduled within the interval, and a review that is due is not overdue."""
    interval = int(ctx.params.get("review_interval_days", 90))
    start = iso_date((ctx.data.get("plan") or {}).get("start_date"))
    reviews = sorted(d for d in (iso_date(v) for v in ctx.data.get("review_dates") or []) if d)
    if not reviews:
        yield Finding(("review_dates",) if "review_dates" in ctx.data else (), f"no review dates: schedule reviews at least every {interval} days "
                      "(the practice's review interval, check.params.review_interval_days)")
        return
    previous = start
    for review in reviews:
        if previous and (review - previous).days > interval:
            index = [d for d in (iso_date(v) for v in ctx.data["review_dates"])].index(review)
            yield Finding(("review_dates", index), f"{(review - previous).days} days after the previous review or the plan's start; "
                          f"the practice's review interval is {interval} days (check.params.review_interval_days)")
        previous = review
    if reviews[-1] < ctx.as_of and (ctx.as_of - reviews[-1]).days > interval:
        yield Finding(("review_dates",), f"the last review date ({reviews[-1].isoformat()}) is more than {interval} days before {ctx.as_of.isoformat()}: "
                      "a review is overdue by the practice's review interval")


def clinician_signature(ctx: CheckContext) -> Iterator[Finding]:
    """The clinician signs and dates the plan, with credentials."""
    clinician = ctx.data.get("clinician") or {}
    if not str(clinician.get("credentials") or "").strip():
        yield Finding(("clinician",), "the clinician's credentials are missing")
    signed = ((ctx.data.get("signatures") or {}).get("clinician") or {}).get("date")
    if not signed:
        yield Finding(("signatures",) if ctx.data.get("signatures") else (), "no clinician signature date: the plan must be signed and dated by the clinician")


def client_signature(ctx: CheckContext) -> Iterator[Finding]:
    """The client's participation is documented by signature, or the reason it is not."""
    if not ctx.params.get("client_signature_required", False):
        return
    client = (ctx.data.get("signatures") or {}).get("client") or {}
    if not client.get("date") and not client.get("declined_reason"):
        yield Finding(("signatures",) if ctx.data.get("signatures") else (), "no client signature date and no reason it is missing: document the client's participation")


def standardised_measure(ctx: CheckContext) -> Iterator[Finding]:
    """A standardised instrument is used to monitor progress, and again since the last review."""
    given = sorted((day, i) for i, a in indexed_entries(ctx.data, "assessments") if a.get("instrument") in ctx.instruments and (day := iso_date(a.get("date"))))
    if not given:
        yield Finding(("assessments",) if "assessments" in ctx.data else (), "no standardised instrument administered: record one (PHQ-9, GAD-7, ECR-R, ...) to monitor progress")
        return
    past_reviews = [d for d in (iso_date(v) for v in ctx.data.get("review_dates") or []) if d and d <= ctx.as_of]
    if past_reviews and given[-1][0] < max(past_reviews):
        yield Finding(("assessments",), f"no standardised instrument since the review of {max(past_reviews).isoformat()}", "warning")


def safety_follow_up(ctx: CheckContext) -> Iterator[Finding]:
    """A safety flag (PHQ-9 item 9) needs a documented safety plan or follow-up on or after it."""
    safety = ctx.data.get("safety_plan") if isinstance(ctx.data.get("safety_plan"), dict) else None
    planned = iso_date(safety.get("date")) if safety else None
    for index, assessment in indexed_entries(ctx.data, "assessments"):
        instrument = ctx.instruments.get(assessment.get("instrument", ""))
        result = ctx.results.get(index)
        if not instrument or not result:
            continue
        for flag in result.flags:
            if flag in instrument.safety_flags and (planned is None or planned < (iso_date(assessment.get("date")) or planned)):
                yield Finding(("assessments", index), f"{instrument.flags.get(flag, flag)} No safety plan or follow-up is documented on or after "
                              f"{assessment.get('date')}: add safety_plan with its date and what was agreed.")


def library_verbatim(ctx: CheckContext) -> Iterator[Finding]:
    """Goals, objectives and interventions are this client's, not library text."""
    from txplan.individualisation import library_texts, library_warnings

    for problem in library_warnings(ctx.plan, ctx.libraries, library_texts(ctx.libraries.values())):
        yield Finding(_path(problem.path), problem.message, "warning")


def _path(dotted: str) -> tuple[str | int, ...]:
    parts: list[str | int] = []
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", dotted):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return tuple(parts)


# Public sources the rules rest on. Each names the document and the element a reader can look up.
NGS_PLAN = ("National Government Services (Medicare MAC J6/JK), 'Psychotherapy Coverage Criteria: Treatment Plans' "
            "(ngsmedicare.com article 2151969)")
NGS_COMPONENTS = ("National Government Services, 'Psychotherapy Services', Required Treatment Plan Components "
                  "(ngsmedicare.com article 11487832, citing LCD L33632 Psychiatry and Psychology Services)")
NGS_CERT = ("National Government Services, CERT 'Psychiatry and Psychology Services' (ngsmedicare.com article 216639): "
            "an updated treatment plan with a periodic summary of goals and progress")
CARF_PLAN = "CARF Behavioral Health Standards Manual, Section 2.C Person-Centered Plan"
TJC_PLAN = "The Joint Commission, Behavioral Health Care and Human Services standard CTS.03.01.03"

CHECKS = [
    Check("diagnosis-primary", "Payers need a covered diagnosis; the claim is made under the primary one.",
          f"{NGS_PLAN}: the plan must include the diagnoses", primary_diagnosis),
    Check("diagnosis-z-code", "Z-codes as the primary diagnosis do not support medical necessity and are often denied.",
          "ICD-10-CM chapter 21, Factors influencing health status and contact with health services (Z00-Z99): reasons for "
          "contact, not disorders; payer denials described in TherapyNotes, 'How and When to Use Z-Codes' (blog.therapynotes.com)",
          z_code),
    Check("diagnosis-childhood-attachment", "Reactive and disinhibited attachment disorders are diagnoses of childhood.",
          "ICD-10-CM F94.1 Reactive attachment disorder of childhood and F94.2 Disinhibited attachment disorder of childhood "
          "(block F90-F98, onset usually occurring in childhood and adolescence); WHO ICD-11 6B44 Reactive attachment "
          "disorder (diagnosed only in children)", childhood_attachment),
    Check("objective-measurable", "Objectives must be measurable and time-specific.",
          f"{CARF_PLAN} (objectives measurable, achievable, time specific and understandable); {TJC_PLAN} (measurable goals)",
          measurable_objectives),
    Check("goal-client-words", "Goals are to be written in the words of the person served.",
          f"{CARF_PLAN} (goals expressed in the words of the person served); {TJC_PLAN} (goals in the individual's own words)",
          client_words),
    Check("intervention-frequency", "The frequency of each intervention is part of the plan.",
          f"{NGS_COMPONENTS} (frequency); {CARF_PLAN} (frequency of specific interventions); First Coast Service Options "
          "(Medicare MAC), 'Checklist: Psychotherapy services' (modalities and frequencies of treatment)", intervention_frequency),
    Check("therapy-elements", "Type, amount, frequency and duration of therapy must be stated.",
          f"{NGS_COMPONENTS} (type stated explicitly, amount as planned session length, frequency, duration); {NGS_PLAN}",
          therapy_elements),
    Check("plan-current", "A plan must be no older than a year before the date of service.",
          f"{NGS_PLAN}: date established, no older than one year before the date of service on the claim", plan_current),
    Check("plan-duration", "The period the plan is valid for is stated, within a year.",
          f"{NGS_PLAN}: duration of services, which can be a target date, less than one year", plan_duration),
    Check("review-schedule", "Plans are reviewed at set intervals; the interval is the practice's own setting.",
          f"{TJC_PLAN}: the plan is reviewed at time frames the organisation sets; {NGS_CERT}. No payer rule for outpatient "
          "psychotherapy sets the interval: review_interval_days is the practice's setting (default 90)", review_schedule),
    Check("clinician-signature", "The plan is signed and dated by a clinician with credentials.",
          f"{NGS_PLAN}: signature of the approved provider, with credentials; CMS Medicare Program Integrity Manual "
          "(Pub. 100-08), chapter 3, section 3.3.2.4, signature requirements", clinician_signature),
    Check("client-signature", "The client's participation in planning is documented: a signature, or the reason there is none.",
          f"{CARF_PLAN} and {TJC_PLAN}: the plan is developed with the participation of the person served; some states "
          "require the signature itself (for example New York, 14 NYCRR 587.16(c))", client_signature),
    Check("standardised-measure", "Progress is monitored with a standardised tool.",
          "The Joint Commission, Behavioral Health Care and Human Services standard CTS.03.01.09, EP 1 (a standardised tool "
          "or instrument monitors the individual's progress; effective 1 January 2018)", standardised_measure),
    Check("safety-follow-up", "An item-9 answer above 0 on the PHQ-9 needs follow-up whatever the total.",
          "Simon, G. E., et al. (2013). Does response on the PHQ-9 Depression Questionnaire predict subsequent suicide "
          "attempt or suicide death? Psychiatric Services, 64(12), 1195-1202; The Joint Commission National Patient Safety "
          "Goal NPSG.15.01.01 (reduce the risk for suicide)", safety_follow_up),
    Check("library-verbatim", "Goals and interventions are to be this client's; library text copied word for word is not.",
          f"{CARF_PLAN} (goals in the words of the person served) and {TJC_PLAN} (goals in the individual's own words); "
          "flagging verbatim library text is txplan's own quality guidance", library_verbatim),
    *CODE_SET_CHECKS,
]


@hookimpl
def register_checks(register):
    """Register the built-in checks."""
    for check in CHECKS:
        register(check)
