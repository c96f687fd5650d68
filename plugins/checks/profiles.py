"""The built-in payer profiles: which checks run, how seriously, with which parameters."""

from __future__ import annotations

from txplan import hookimpl
from txplan.contracts import PayerProfile

MEDICARE = PayerProfile(
    "medicare-outpatient",
    "Medicare outpatient psychotherapy as a MAC states it (National Government Services' treatment-plan criteria): "
    "therapy type, session length, frequency, duration, valid billable diagnoses, goals, a plan no older than a year, "
    "the clinician's signature with credentials and a valid NPI.",
    {
        "diagnosis-primary": "error",
        "diagnosis-code-valid": "error",
        "diagnosis-z-code": "warning",
        "diagnosis-childhood-attachment": "warning",
        "therapy-elements": "error",
        "intervention-frequency": "error",
        "objective-measurable": "warning",
        "goal-client-words": "warning",
        "plan-current": "error",
        "plan-duration": "warning",
        "clinician-signature": "error",
        "npi-check-digit": "error",
        "safety-follow-up": "error",
        "library-verbatim": "warning",
        "medical-necessity": "error",
        "risk-assessment": "error",
        "content-after-signature": "warning",
        "discharge-goal-outcomes": "error",
        "discharge-final-measure": "warning",
        "discharge-aftercare": "error",
        "renewal-to-decide": "error",
    },
    {"max_plan_age_days": 365},
)

ACCREDITATION = PayerProfile(
    "accreditation",
    "Joint Commission (CTS.03.01.03, CTS.03.01.09) and CARF (Section 2.C) points: goals in the client's words, "
    "measurable time-bound objectives, a standardised measure, the client's participation documented, review at the "
    "interval the practice sets (90 days by default; change it with review_interval_days in a pack's check.params).",
    {
        "goal-client-words": "error",
        "objective-measurable": "error",
        "standardised-measure": "error",
        "review-schedule": "error",
        "intervention-frequency": "error",
        "safety-follow-up": "error",
        "library-verbatim": "warning",
        "client-signature": "warning",
        "clinician-signature": "warning",
        "diagnosis-primary": "warning",
        "diagnosis-code-valid": "warning",
        "diagnosis-childhood-attachment": "warning",
        "risk-assessment": "error",
        "content-after-signature": "warning",
        "npi-check-digit": "warning",
        "discharge-goal-outcomes": "error",
        "discharge-final-measure": "error",
        "discharge-aftercare": "error",
        "renewal-to-decide": "error",
    },
    {"review_interval_days": 90, "client_signature_required": True},
)

COMMERCIAL = PayerProfile(
    "commercial-default",
    "A commercial insurer's usual expectations: the Medicare elements and measurable objectives. Reviews every 90 days "
    "is the practice's default setting, not a payer rule: change it with review_interval_days in a pack's check.params.",
    {
        "diagnosis-primary": "error",
        "diagnosis-code-valid": "error",
        "diagnosis-z-code": "warning",
        "diagnosis-childhood-attachment": "warning",
        "therapy-elements": "error",
        "intervention-frequency": "warning",
        "objective-measurable": "warning",
        "goal-client-words": "warning",
        "plan-current": "error",
        "plan-duration": "warning",
        "review-schedule": "warning",
        "clinician-signature": "error",
        "npi-check-digit": "error",
        "client-signature": "warning",
        "standardised-measure": "warning",
        "safety-follow-up": "error",
        "library-verbatim": "warning",
        "medical-necessity": "warning",
        "risk-assessment": "error",
        "content-after-signature": "warning",
        "discharge-goal-outcomes": "error",
        "discharge-final-measure": "warning",
        "discharge-aftercare": "error",
        "renewal-to-decide": "error",
    },
    {"max_plan_age_days": 365, "review_interval_days": 90},
)


@hookimpl
def register_payer_profiles(register):
    """Register the built-in payer profiles."""
    for profile in (MEDICARE, ACCREDITATION, COMMERCIAL):
        register(profile)
