"""ECR-RS: Experiences in Close Relationships - Relationship Structures (Fraley, Heffernan,
Vicary & Brumbaugh, 2011).

Nine ratings from 1 to 7, asked about each relationship target (mother, father, partner, best
friend) or once, globally, about important people. Avoidance is the mean of items 1-6 with items
1-4 reversed; anxiety the mean of items 7-9 (Fraley et al., 2011, and the scoring notes on the
first author's ECR-RS page). Global scores average each dimension across the targets given.
"""

from __future__ import annotations

from typing import Any

from txplan import hookimpl
from txplan.contracts import Instrument, ScoreResult

from ._scales import keyed_mean, mean, ratings_schema

TARGETS = ("mother", "father", "partner", "friend")
AVOIDANCE_ITEMS, ANXIETY_ITEMS, REVERSED = range(1, 7), range(7, 10), {1, 2, 3, 4}


def score(data: Any) -> ScoreResult:
    """Avoidance and anxiety per target, and their means across the targets given."""
    scores: dict[str, float] = {}
    per_target = {}
    for target, ratings in data["responses"].items():
        per_target[target] = (keyed_mean(ratings, AVOIDANCE_ITEMS, REVERSED, 1, 7), keyed_mean(ratings, ANXIETY_ITEMS, set(), 1, 7))
    scores["avoidance"] = mean(a for a, _ in per_target.values())
    scores["anxiety"] = mean(b for _, b in per_target.values())
    if "global" not in per_target:
        for target in TARGETS:
            if target in per_target:
                scores[f"{target}.avoidance"], scores[f"{target}.anxiety"] = per_target[target]
    return ScoreResult(scores=scores)


_RATINGS = ratings_schema(9, 1, 7, "ECR-RS answers about this relationship, 1 (strongly disagree) to 7 (strongly agree):")

ECR_RS = Instrument(
    id="ecr-rs",
    name="Experiences in Close Relationships - Relationship Structures (ECR-RS)",
    citation="Fraley, R. C., Heffernan, M. E., Vicary, A. M., & Brumbaugh, C. C. (2011). The Experiences in Close "
    "Relationships—Relationship Structures questionnaire: A method for assessing attachment orientations across "
    "relationships. Psychological Assessment, 23(3), 615-625.",
    licence="Scoring key only: the item text's licence for redistribution is unconfirmed, so txplan does not ship it.",
    schema={
        "type": "object",
        "required": ["responses"],
        "properties": {
            "responses": {
                "type": "object",
                "description": "Nine ratings per relationship target (mother, father, partner, friend), or one set under 'global'.",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": {name: _RATINGS for name in (*TARGETS, "global")},
            }
        },
        "allOf": [
            {
                "if": {"properties": {"responses": {"required": ["global"]}}, "required": ["responses"]},
                "then": {
                    "properties": {
                        "responses": {
                            "maxProperties": 1,
                            "description": "'global' is one set of answers about people in general and cannot be combined with answers about mother, father, partner or friend",
                        }
                    }
                },
            }
        ],
    },
    score=score,
    score_labels={"avoidance": "Avoidance", "anxiety": "Anxiety", **{f"{t}.{d}": f"{t.capitalize()}: {d}" for t in TARGETS for d in ("avoidance", "anxiety")}},
    interpretation="Means range from 1 to 7; higher means more avoidance or anxiety in that relationship. Global scores "
    "weight each relationship given equally.",
)


@hookimpl
def register_instruments(register):  # type: ignore[no-untyped-def]
    """Register the ECR-RS."""
    register(ECR_RS)
