"""AAI: Adult Attachment Interview (George, Kaplan & Main, 1985/1996).

The AAI is coded by trained, reliability-certified coders. txplan records the classification a
coder gave, and whether the plan says the coder is certified, and never derives one. U (unresolved)
and CC (cannot classify) are always given with a best-fitting organised alternate (Main & Goldwyn's
coding system).
"""

from __future__ import annotations

from typing import Any

from txplan import hookimpl
from txplan.contracts import Instrument, ScoreResult

CLASSES = {
    "F": "secure-autonomous (F)",
    "Ds": "dismissing (Ds)",
    "E": "preoccupied (E)",
    "U": "unresolved/disorganised (U)",
    "CC": "cannot classify (CC)",
}
ORGANISED = ("F", "Ds", "E")
# Only the Main & Goldwyn system is modelled: its classes are the ones above. Crittenden's
# Dynamic-Maturational Model classifies with its own strategies (A, B, C and their subpatterns),
# which are not modelled from a checked source yet, so a DMM coding is recorded as a custom
# assessment instead of being forced into Main & Goldwyn codes.
SYSTEMS = {"main-goldwyn": "Main & Goldwyn system"}


def score(data: Any) -> ScoreResult:
    """No scores: the coder's classification, in words. The coder is called reliability-certified
    only when the plan records it (``reliability_certified: true``)."""
    c = data["classification"]
    text = f"Classified {CLASSES[c['primary']]}"
    if c.get("alternate"):
        text += f", alternate {CLASSES[c['alternate']]}"
    certified = {True: ", reliability-certified", False: ", not reliability-certified"}.get(c.get("reliability_certified"), "")
    text += f"; {SYSTEMS[c['system']]}, coded by {c['coder']}{certified}."
    return ScoreResult(summary=text)


AAI = Instrument(
    id="aai",
    name="Adult Attachment Interview (AAI)",
    citation="George, C., Kaplan, N., & Main, M. (1985/1996). Adult Attachment Interview protocol. Coding: Main, M., & "
    "Goldwyn, R. (1998).",
    licence="The protocol and coding require training and reliability certification; txplan records a human-coded "
    "classification only and ships no interview material.",
    data_key="classification",
    schema={
        "type": "object",
        "required": ["classification"],
        "properties": {
            "classification": {
                "type": "object",
                "description": "The classification a certified coder gave.",
                "required": ["primary", "system", "coder"],
                "additionalProperties": False,
                "properties": {
                    "primary": {"type": "string", "enum": list(CLASSES), "description": "F, Ds, E, U or CC."},
                    "alternate": {"type": "string", "enum": list(ORGANISED), "description": "The best-fitting organised class (F, Ds or E); required with U and CC, and only then."},
                    "system": {
                        "type": "string",
                        "enum": list(SYSTEMS),
                        "description": "The coding system: main-goldwyn (the only one modelled; record a DMM coding, whose "
                        "strategies differ, as a custom assessment).",
                    },
                    "coder": {"type": "string", "minLength": 1, "maxLength": 200, "description": "Who coded the interview."},
                    "reliability_certified": {
                        "type": "boolean",
                        "description": "Whether the coder is reliability-certified for this system; the document says so only when true.",
                    },
                },
                "allOf": [
                    {
                        "if": {"properties": {"primary": {"enum": ["U", "CC"]}}, "required": ["primary"]},
                        "then": {"required": ["alternate"]},
                        "else": {"properties": {"alternate": {"not": {}, "description": "an alternate is given only with U or CC"}}},
                    }
                ],
            }
        },
    },
    score=score,
    interpretation="A classification entered by the coder named; txplan never derives one.",
)


@hookimpl
def register_instruments(register):
    """Register the AAI."""
    register(AAI)
