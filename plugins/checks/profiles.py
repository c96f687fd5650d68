"""The built-in payer profiles: which checks run, how seriously, with which parameters."""

from __future__ import annotations

from txplan import hookimpl
from txplan.contracts import PayerProfile

MEDICARE = PayerProfile(
    "medicare-outpatient",
    "Medicare outpatient psychotherapy (MAC guidance): therapy type, session length, frequency, duration, "
    "diagnoses, goals, a plan no older than a year, the clinician's signature with credentials.",
    {
        "diagnosis-primary": "error",
        "diagnosis-z-code": "warning",
        "diagnosis-childhood-attachment": "warning",
        "therapy-elements": "error",
        "intervention-frequency": "error",
        "objective-measurable": "warning",
        "goal-client-words": "warning",
        "plan-current": "error",
        "plan-duration": "warning",
        "clinician-signature": "error",
        "safety-follow-up": "error",
        "library-verbatim": "warning",
        "medical-necessity": "error",
        "risk-assessment": "error",
        "content-after-signature": "warning",
    },
    {"max_plan_age_days": 365},
)

ACCREDITATION = PayerProfile(
    "accreditation",
    "Joint Commission and CARF points: goals in the client's words, measurable time-bound objectives, a standardised "
    "measure, review at the set interval.",
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
        "diagnosis-childhood-attachment": "warning",
        "risk-assessment": "error",
        "content-after-signature": "warning",
    },
    {"review_interval_days": 90, "client_signature_required": True},
)

COMMERCIAL = PayerProfile(
    "commercial-default",
    "A commercial insurer's usual expectations: the Medicare elements, reviews every 90 days, measurable objectives.",
    {
        "diagnosis-primary": "error",
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
        "client-signature": "warning",
        "standardised-measure": "warning",
        "safety-follow-up": "error",
        "library-verbatim": "warning",
        "medical-necessity": "warning",
        "risk-assessment": "error",
        "content-after-signature": "warning",
    },
    {"max_plan_age_days": 365, "review_interval_days": 90},
)


@hookimpl
def register_payer_profiles(register):  # type: ignore[no-untyped-def]
    """Register the built-in payer profiles."""
    for profile in (MEDICARE, ACCREDITATION, COMMERCIAL):
        register(profile)
