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

from ._scales import exact_keyed_mean, exact_mean, ratings_schema

TARGETS = ("mother", "father", "partner", "friend")
AVOIDANCE_ITEMS, ANXIETY_ITEMS, REVERSED = range(1, 7), range(7, 10), {1, 2, 3, 4}


def score(data: Any) -> ScoreResult:
    """Avoidance and anxiety per target, and their means across the targets given.

    The two means summarise whichever relationships were rated, so each says which ones in
    ``computed_from`` ("mother+partner", or "global" for the one global rating): progress tables
    compare them only between administrations that rated the same relationships. Per-target
    scores are the same nine items about the same person each time, and compare directly."""
    rated = [target for target in (*TARGETS, "global") if target in data["responses"]]
    per_target = {
        target: (
            exact_keyed_mean(data["responses"][target], AVOIDANCE_ITEMS, REVERSED, 1, 7),
            exact_keyed_mean(data["responses"][target], ANXIETY_ITEMS, set(), 1, 7),
        )
        for target in rated
    }
    scores: dict[str, float] = {
        "avoidance": float(exact_mean(a for a, _ in per_target.values())),
        "anxiety": float(exact_mean(b for _, b in per_target.values())),
    }
    if "global" not in per_target:
        for target in rated:
            avoidance, anxiety = per_target[target]
            scores[f"{target}.avoidance"], scores[f"{target}.anxiety"] = float(avoidance), float(anxiety)
    basis = "+".join(rated)
    return ScoreResult(scores=scores, computed_from={"avoidance": basis, "anxiety": basis})


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
    computed_from_kind="relationships",
)


@hookimpl
def register_instruments(register):
    """Register the ECR-RS."""
    register(ECR_RS)
