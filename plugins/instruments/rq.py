"""RQ: Relationship Questionnaire (Bartholomew & Horowitz, 1991).

Four prototype ratings from 1 to 7, keyed by name, and optionally the best-fitting prototype.
Model of self = (secure + dismissing) - (fearful + preoccupied); model of other = (secure +
preoccupied) - (fearful + dismissing), each -12 to +12 (Griffin & Bartholomew, 1994, Journal of Personality and
Social Psychology 67(3):430-445). Ratings are keyed by name because published numberings differ.
"""

from __future__ import annotations

from typing import Any

from txplan import hookimpl
from txplan.contracts import Instrument, ScoreResult

PROTOTYPES = ("secure", "fearful", "preoccupied", "dismissing")


def score(data: Any) -> ScoreResult:
    """Model-of-self and model-of-other dimensions, and the client's best-fit choice where given."""
    r = data["responses"]
    best_fit = data.get("best_fit")
    return ScoreResult(
        scores={
            "model_of_self": (r["secure"] + r["dismissing"]) - (r["fearful"] + r["preoccupied"]),
            "model_of_other": (r["secure"] + r["preoccupied"]) - (r["fearful"] + r["dismissing"]),
        },
        details=(f"best fit chosen by the client: {best_fit}",) if best_fit else (),
    )


_RATING = {"type": "integer", "minimum": 1, "maximum": 7, "description": "How well the description fits, 1 (not at all) to 7 (very much)."}

RQ = Instrument(
    id="rq",
    name="Relationship Questionnaire (RQ)",
    citation="Bartholomew, K., & Horowitz, L. M. (1991). Attachment styles among young adults: A test of a four-category "
    "model. Journal of Personality and Social Psychology, 61(2), 226-244. Dimensions: Griffin, D. W., & Bartholomew, K. "
    "(1994). Models of the self and other: Fundamental dimensions underlying measures of adult attachment. Journal of "
    "Personality and Social Psychology, 67(3), 430-445.",
    licence="The authors allow use without charge in research and not for commercial purposes; no item text is shipped.",
    schema={
        "type": "object",
        "required": ["responses"],
        "properties": {
            "responses": {
                "type": "object",
                "description": "The rating of each prototype, by name.",
                "required": list(PROTOTYPES),
                "additionalProperties": False,
                "properties": {name: _RATING for name in PROTOTYPES},
            },
            "best_fit": {"type": "string", "enum": list(PROTOTYPES), "description": "The prototype the client chose as fitting best."},
        },
    },
    score=score,
    score_labels={"model_of_self": "Model of self", "model_of_other": "Model of other"},
    interpretation="The authors describe the RQ as a research measure, not validated for individual assessment: "
    "use it to open discussion, not to classify.",
)


@hookimpl
def register_instruments(register):
    """Register the RQ."""
    register(RQ)
